"""asynclint: catch the async pitfalls of Node.js and asyncio code."""

__version__ = "0.1.0"

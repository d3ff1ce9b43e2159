"""Python (asyncio) support: parsing with libcst and the facts Python rules share.

Nothing outside this package and the rules' ``py.py`` modules imports libcst,
so a scan without Python files never loads it.
"""

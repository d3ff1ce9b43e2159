// asynclint for VS Code: starts `asynclint lsp` and lets vscode-languageclient
// do the rest (diagnostics, quick fixes, hovers, source.fixAll.asynclint).
// Plain CommonJS, no build step.
'use strict';

const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const LANGUAGES = ['javascript', 'javascriptreact', 'typescript', 'typescriptreact', 'python'];

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration('asynclint');
  let command = config.get('path') || 'asynclint';
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (folder) {
    command = command.replace('${workspaceFolder}', folder.uri.fsPath);
  }
  const args = config.get('args') || ['lsp'];
  // The server speaks LSP on stdin/stdout; stderr goes to the output channel.
  return { command: path.normalize(command), args, options: { env: process.env } };
}

async function start() {
  const clientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
  };
  const options = serverOptions();
  client = new LanguageClient('asynclint', 'asynclint', options, clientOptions);
  try {
    await client.start();
  } catch (err) {
    client = undefined;
    vscode.window.showErrorMessage(
      `asynclint: could not start "${options.command} ${options.args.join(' ')}" (${err.message}). ` +
        'Install asynclint, or set "asynclint.path" to its executable.'
    );
  }
}

async function stop() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

async function restart() {
  await stop();
  await start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('asynclint.restart', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('asynclint.path') || event.affectsConfiguration('asynclint.args')) {
        restart();
      }
    })
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };

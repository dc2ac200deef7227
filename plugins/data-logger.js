'use strict';

// The data logger's own Serverless plugin (serverless.yml: `plugins: - ./plugins/data-logger`).
//
// 1. `serverless deploy` stops, before anything is built or sent to AWS, when
//    the `org` (unless `orgs` is given) or `appClientId` parameter is missing:
//    such a function could only fail at run time. `serverless package` and `invoke local` need
//    neither (CI packages without parameters; a local run takes GITHUB_ORG
//    and GITHUB_APP_CLIENT_ID from the caller's environment).
// 2. `serverless invoke local` prints the handler's JSON log lines exactly as
//    written, one per line, and a failed run ends with its cause in one line
//    (the handler's last line on stderr) instead of a Python traceback and a
//    Node stack. It runs osls' own Python wrapper with the same input, PATH
//    and environment as osls does (lib/plugins/aws/invoke-local); only the
//    streaming of the child's output differs.

const path = require('node:path');
const { spawn } = require('node:child_process');

// Deployment parameters the function cannot run without, and the variable each becomes.
// With `orgs` (many organisations) each run gets its organisation in the event instead.
const REQUIRED_PARAMS = [
  { param: 'org', variable: 'GITHUB_ORG', value: '<organisation login>', oneOrgOnly: true },
  { param: 'appClientId', variable: 'GITHUB_APP_CLIENT_ID', value: '<GitHub App client ID>' },
];
// What handler.py writes last on stderr when a run fails (datalogger/cli.py).
const CAUSE_PREFIX = 'The data logger run failed: ';

class DataLoggerPlugin {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options || {};
    this.hooks = {
      initialize: () => this.checkDeployParams(),
      'before:invoke:local:invoke': () => this.streamInvokeLocalPlainly(),
    };
  }

  checkDeployParams() {
    const commands = (this.serverless.processedInput || {}).commands || [];
    if (commands[0] !== 'deploy' || commands[1] === 'list') return;
    const { service } = this.serverless;
    const environment = service.provider.environment || {};
    // deploy/layout.js: 'many-organisations' when the `orgs` param is given.
    const manyOrganisations = (service.custom || {}).layout === 'many-organisations';
    const missing = REQUIRED_PARAMS.filter(({ variable, oneOrgOnly }) => {
      if (oneOrgOnly && manyOrganisations) return false;
      const value = environment[variable];
      return typeof value !== 'string' || value.trim() === '';
    });
    if (missing.length === 0) return;
    const names = missing.map(({ param }) => param).join(' and ');
    const flags = missing.map(({ param, value }) => `--param=${param}=${value}`).join(' ');
    const variables = missing.map(({ variable }) => variable).join(' and ');
    const noun = missing.length === 1 ? 'parameter' : 'parameters';
    throw new this.serverless.classes.Error(
      `Missing deployment ${noun} ${names}: the function would have no ${variables} and ` +
        `every run would fail. Deploy with ${flags} (see README, "Deploy").`,
      'DATA_LOGGER_MISSING_PARAMETER'
    );
  }

  streamInvokeLocalPlainly() {
    const invokeLocal = this.serverless.pluginManager.plugins.find(
      (plugin) => plugin.constructor.name === 'AwsInvokeLocal'
    );
    if (!invokeLocal || typeof invokeLocal.invokeLocalPython !== 'function') return;
    const ServerlessError = this.serverless.classes.Error;
    invokeLocal.invokeLocalPython = async (runtime, handlerPath, handlerName, event, context) => {
      const functionObj = invokeLocal.options.functionObj;
      const input = JSON.stringify({
        event: event || {},
        context: Object.assign(
          {
            name: functionObj.name,
            version: 'LATEST',
            logGroupName: invokeLocal.provider.naming.getLogGroupName(functionObj.name),
            timeout:
              Number(functionObj.timeout) ||
              Number(this.serverless.service.provider.timeout) ||
              6,
          },
          context
        ),
      });
      if (process.env.VIRTUAL_ENV) {
        const binDir = process.platform === 'win32' ? 'Scripts' : 'bin';
        process.env.PATH = [
          path.join(process.env.VIRTUAL_ENV, binDir),
          path.delimiter,
          process.env.PATH,
        ].join('');
      }
      const wrapperPath = await invokeLocal.resolveRuntimeWrapperPath('invoke.py');
      const { code, stderr } = await runPython(
        runtime.split('.')[0],
        ['-u', wrapperPath, handlerPath, handlerName],
        input
      );
      if (code === 0) {
        process.stderr.write(stderr);
        return;
      }
      const lines = stderr.split('\n').filter((line) => line.trim() !== '');
      const last = lines.length > 0 ? lines[lines.length - 1] : '';
      if (last.startsWith(CAUSE_PREFIX)) {
        // The cause ends the output (osls prints it after "Error:"); nothing else to show.
        process.stderr.write(lines.slice(0, -1).map((line) => `${line}\n`).join(''));
        throw new ServerlessError(last, 'DATA_LOGGER_RUN_FAILED');
      }
      process.stderr.write(stderr); // not the handler's own failure: show everything
      throw new ServerlessError(
        `The handler exited with status ${code}; the output above says why.`,
        'DATA_LOGGER_HANDLER_EXITED'
      );
    };
  }
}

// Run the wrapper: stdout passes through untouched, stderr is kept for the caller.
function runPython(command, args, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr = [];
    child.stdout.on('data', (chunk) => process.stdout.write(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: signal ? 1 : code, stderr: Buffer.concat(stderr).toString() })
    );
    child.stdin.end(input);
  });
}

module.exports = DataLoggerPlugin;

'use strict';
// Checks a configuration against the config schemas of the installed plugins, as
// `backstage-cli config:check` does, with schema errors reported (not ignored).
//
//   node check-config.js --config FILE [--config FILE...]
//
// Reads the files and APP_CONFIG_* variables as the backend does, substitutes
// ${VARIABLES} from the environment, and prints one JSON line:
//   {"errors": ["..."], "deprecated": [{"key": "...", "description": "..."}]}
// It exits 0 when there is no error and no deprecated key, 1 otherwise.
const path = require('node:path');
const { ConfigSources, loadConfigSchema } = require('@backstage/config-loader');

async function main() {
  const source = ConfigSources.default({ argv: process.argv, env: process.env });
  let appConfigs = [];
  for await (const { configs } of source.readConfigData()) {
    appConfigs = configs;
    break;
  }
  const packageJson = path.join(__dirname, 'package.json');
  const schema = await loadConfigSchema({
    dependencies: Object.keys(require(packageJson).dependencies),
    packagePaths: [packageJson],
  });
  const report = { errors: [], deprecated: [] };
  try {
    const processed = schema.process(appConfigs, { withDeprecatedKeys: true });
    for (const config of processed) {
      for (const { key, description } of config.deprecatedKeys ?? []) {
        report.deprecated.push({ key, description, context: config.context });
      }
    }
  } catch (error) {
    report.errors = error.messages ?? [String(error.message ?? error)];
  }
  const code = report.errors.length || report.deprecated.length ? 1 : 0;
  // The config sources keep watching their files: exit once the report is written.
  process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(code));
}

main().catch(error => {
  process.stderr.write(`${error.stack ?? error}\n`, () => process.exit(2));
});

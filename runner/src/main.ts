import { loadConfig } from './config.js';
import { startLocalPlatform } from './local.js';
import { closeOnSignals } from './shutdown.js';

// The local entry point (`npm start`): config is read once here and passed down.
const config = loadConfig(process.env);
const platform = await startLocalPlatform(config);

const lines = [
  '',
  `  Agent Platform is running at ${platform.url}`,
  '',
  '  Open this link to sign in (it holds your secret sign-in token):',
  `    ${platform.signInUrl}`,
  `  The token is also kept in ${platform.auth.tokenFile}`,
  '',
];
if (!config.model.configured) {
  lines.push('  ! No model is configured: set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL) and restart.', '');
}
if (platform.sandboxes.warning) lines.push(`  ! ${platform.sandboxes.warning}`, '');
else lines.push(`  Sandbox: ${platform.sandboxes.runtime.kind}.`, '');
process.stdout.write(`${lines.join('\n')}\n`);

closeOnSignals(platform.close, (signal) => process.stdout.write(`\n  ${signal}: stopping…\n`));

'use strict';
// A minimal Backstage backend: what the off-the-shelf image's `node packages/backend`
// starts, cut down to auth (with the guest provider) and the catalog (with the module
// that logs its processing errors). It reads its configuration as the image does: from
// the `--config` arguments and APP_CONFIG_* variables.
const { createBackend } = require('@backstage/backend-defaults');

const backend = createBackend();
backend.add(require('@backstage/plugin-auth-backend'));
backend.add(require('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(require('@backstage/plugin-catalog-backend'));
backend.add(require('@backstage/plugin-catalog-backend-module-logs'));
backend.start();

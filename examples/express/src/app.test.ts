import { bootListener, describeExampleApp } from '../../shared/src/__tests__/example-suite';
import { createApp } from './app';

describeExampleApp(
  'express',
  bootListener((config) => {
    const { app, ai } = createApp(config);
    return { listener: app, ai };
  }),
);

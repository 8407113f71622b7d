import express from 'express';
import express4 from 'express4';
import { bootListener, describeExampleApp } from '../../shared/src/__tests__/example-suite';
import { createApp } from './app';

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s', (_name, framework) => {
  describeExampleApp(
    'express',
    bootListener((config) => {
      const { app, ai } = createApp(config, framework);
      return { listener: app, ai };
    }),
  );
});

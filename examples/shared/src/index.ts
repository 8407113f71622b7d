export * from './chat';
export * from './config';
export * from './page';
export * from './serve';

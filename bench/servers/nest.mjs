// NestJS 11 on platform-express, with its default JSON body parser. `bare`: a controller route
// forwarding with undici (the framework's floor). `routes`: `AiFailoverModule.forRoot(...)` serving
// `/v1`. `fast`: the same with `fastPath: true`. Decorators are applied as functions (plain ESM).
import 'reflect-metadata';
import { AiFailoverModule } from '@ai-failover/nestjs';
import { Controller, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { announce, config, forward, mode, openai } from './common.mjs';

class BareController {
  chat(req, res) {
    return forward(JSON.stringify(req.body), res);
  }
}
Controller()(BareController);
Post('v1/chat/completions')(
  BareController.prototype,
  'chat',
  Object.getOwnPropertyDescriptor(BareController.prototype, 'chat'),
);
Req()(BareController.prototype, 'chat', 0);
Res()(BareController.prototype, 'chat', 1);

class AppModule {}
Module(
  mode === 'bare'
    ? { controllers: [BareController] }
    : {
        imports: [
          AiFailoverModule.forRoot(config, mode === 'fast' ? { openai, fastPath: true } : { openai }),
        ],
      },
)(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const server = app.getHttpServer();
server.keepAliveTimeout = 60_000;
announce(server, () => app.close());

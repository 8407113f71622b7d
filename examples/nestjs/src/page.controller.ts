import { PAGE_HTML } from '@ai-failover/example-shared';
import { Controller, Get, Header } from '@nestjs/common';

@Controller()
export class PageController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE_HTML;
  }
}

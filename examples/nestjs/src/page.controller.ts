import { Controller, Get, Header } from '@nestjs/common';
import { PAGE_HTML } from './page';

@Controller()
export class PageController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE_HTML;
  }
}

import { Controller, Get, Header } from '@nestjs/common';
import { MENU, MENU_CURRENCY } from '@app/contracts';
import { Public } from '@app/platform';

@Public()
@Controller('menu')
export class MenuController {
  @Get()
  @Header('Cache-Control', 'public, max-age=60')
  list() {
    return { currency: MENU_CURRENCY, items: MENU };
  }
}

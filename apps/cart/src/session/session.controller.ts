import {
  Controller,
  HttpCode,
  HttpStatus,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import {
  CurrentUser,
  SessionAuthenticated,
  type AuthenticatedUser,
} from '@app/identity';
import { cartView, type CartView } from '../cart/cart-view';
import type { CartEnvironment } from '../config/cart-environment';
import { CartSessions } from './cart-sessions.service';
import { CsrfGuard } from './csrf.guard';
import { SessionGuard } from './session.guard';
import { sessionCookieName } from './session.middleware';

@Controller()
export class SessionController {
  private readonly cookieName: string;
  private readonly cookiePath: string;

  constructor(
    private readonly sessions: CartSessions,
    config: ConfigService<CartEnvironment, true>,
  ) {
    this.cookiePath = config.get('ROUTE_PREFIX', { infer: true });
    this.cookieName = sessionCookieName(this.cookiePath);
  }

  /**
   * Exchanges a valid bearer JWT (checked by the global guard, as order does) for a session.
   * No CsrfGuard: the Authorization header authenticates this one, and a page on another origin
   * cannot send that header without the CORS preflight the cart never grants.
   */
  @Post('login')
  @HttpCode(HttpStatus.OK)
  async login(
    @Req() request: Request,
    @CurrentUser() user: AuthenticatedUser,
  ): Promise<CartView> {
    return cartView(
      await this.sessions.start(request, user.id, user.accessToken),
    );
  }

  /** Destroys the session in the store: the old cookie is dead even if a client keeps it. */
  @SessionAuthenticated()
  @UseGuards(CsrfGuard, SessionGuard)
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  async logout(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    await this.sessions.destroy(request);
    response.clearCookie(this.cookieName, {
      path: this.cookiePath,
      httpOnly: true,
      sameSite: 'lax',
    });
  }
}

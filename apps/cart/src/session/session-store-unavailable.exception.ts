import { ServiceUnavailableException } from '@nestjs/common';

export class SessionStoreUnavailableException extends ServiceUnavailableException {
  constructor(storeName: string) {
    super(`session store (${storeName}) is unavailable; try again shortly`);
  }
}

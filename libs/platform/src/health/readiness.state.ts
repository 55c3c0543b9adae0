import { Injectable } from '@nestjs/common';

/**
 * Whether this pod should receive traffic. It turns false the moment shutdown starts, so the
 * endpoints controller (or the local gateway) stops routing here while in-flight work drains.
 */
@Injectable()
export class ReadinessState {
  private shuttingDown = false;

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}

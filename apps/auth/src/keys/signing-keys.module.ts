import { Module } from '@nestjs/common';
import { SigningKeysService } from './signing-keys.service';

/** The key set auth signs with and publishes; its own module so JwtModule can be built from it. */
@Module({
  providers: [SigningKeysService],
  exports: [SigningKeysService],
})
export class SigningKeysModule {}

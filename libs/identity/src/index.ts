export * from './access-token';
export * from './current-user.decorator';
export * from './identity-environment';
export * from './identity.module';
export * from './jwks-key-set';
export * from './jwt-auth.guard';
export * from './jwt.strategy';
export * from './verified-token.cache';

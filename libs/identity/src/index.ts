export * from './access-token.verifier';
export * from './bearer-token.guard';
export * from './current-user.decorator';
export * from './identity-environment';
export * from './identity.module';

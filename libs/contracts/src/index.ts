export * from './menu';
export * from './order';
export * from './tokens';
export * from './headers';

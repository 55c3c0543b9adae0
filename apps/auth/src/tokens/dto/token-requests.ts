import { z } from 'zod';

export const loginRequestSchema = z.strictObject({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const refreshTokenRequestSchema = z.strictObject({
  refresh_token: z.string().min(1).max(256),
});
export type RefreshTokenRequest = z.infer<typeof refreshTokenRequestSchema>;

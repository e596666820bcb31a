import { z } from 'zod';

/**
 * A credential in the configuration: `{ env: NAME }` reads it from the worker's environment (the
 * way to keep it out of the YAML file); a plain string is taken as it is (tests, local runs).
 */
export const secretSchema = z.union([
  z.string().min(1, 'the secret is empty'),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as HUBSPOT_TOKEN') }).strict(),
]);
export type Secret = z.infer<typeof secretSchema>;

/** A secret referenced from configuration could not be found; the message names where it is used. */
class MissingSecretError extends Error {
  override readonly name = 'MissingSecret';
}

export function resolveSecret(secret: Secret, env: NodeJS.ProcessEnv, usedFor: string): string {
  if (typeof secret === 'string') return secret;
  const value = env[secret.env];
  if (!value)
    throw new MissingSecretError(
      `${usedFor} is read from the environment variable ${secret.env}, which is not set on this worker; set it and restart.`,
    );
  return value;
}

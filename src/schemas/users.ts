import { z } from 'zod';

export const MAX_USERS_PER_CALL = 10_000;

/**
 * PUT /api/users: the directory used for identity matching. Each entry replaces the user's email and name
 * (absent = none). Emails are unique case-insensitively, within the call and across the table.
 */
export const upsertUsersSchema = z
  .array(
    z.object({
      id: z.string().min(1).max(200),
      email: z.email().max(320).optional(),
      name: z.string().max(300).optional(),
    }),
  )
  .max(MAX_USERS_PER_CALL)
  .superRefine((users, ctx) => {
    const ids = new Map<string, number>();
    const emails = new Map<string, number>();
    users.forEach((user, index) => {
      const sameId = ids.get(user.id);
      if (sameId !== undefined)
        ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate id ${user.id} (also at ${sameId})` });
      ids.set(user.id, index);
      const email = user.email?.toLowerCase();
      if (email === undefined) return;
      const sameEmail = emails.get(email);
      if (sameEmail !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [index, 'email'],
          message: `duplicate email ${user.email} (also at ${sameEmail})`,
        });
      emails.set(email, index);
    });
  });

export type UpsertUsersBody = z.output<typeof upsertUsersSchema>;

export const upsertedSchema = z.object({ upserted: z.number().int() });

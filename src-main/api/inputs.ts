/** Input schemas shared by several areas (the rest come from store/schemas.ts and jobs/schemas.ts). */
import { z } from 'zod';
import { idSchema } from '../store/index.js';

/** `{id}` of one entity */
export const idInput = z.strictObject({ id: idSchema });

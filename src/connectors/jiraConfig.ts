import { z } from 'zod';
import { rateLimitSchema } from './requestPacer';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as JIRA_API_TOKEN');
const label = z.string().regex(/^\S{1,255}$/, 'a Jira label: no spaces, at most 255 characters');

/**
 * Jira Cloud (REST v3) as the requirement store of a demand sync; also Jira Product Discovery, whose
 * ideas are issues. Credentials are never in the file: `auth` names the environment variables.
 */
export const jiraSystemSchema = z
  .object({
    kind: z.literal('jira'),
    /** The site, e.g. https://your-company.atlassian.net. */
    url: z.url({ message: 'expected the Jira site URL such as https://your-company.atlassian.net' }),
    /** The API token (basic) or access token (bearer) itself, for tests and local runs; otherwise read from auth's variable. */
    token: z.string().min(1).optional(),
    auth: z
      .discriminatedUnion('type', [
        /** An Atlassian account's e-mail and API token, sent as HTTP Basic. */
        z
          .object({
            type: z.literal('basic'),
            email: z.string().min(3).optional(),
            emailEnv: envName.default('JIRA_EMAIL'),
            tokenEnv: envName.default('JIRA_API_TOKEN'),
          })
          .strict(),
        /** An OAuth 2.0 (3LO) access token, sent as Bearer; `url` is then https://api.atlassian.com/ex/jira/<cloudId>. */
        z.object({ type: z.literal('bearer'), tokenEnv: envName.default('JIRA_ACCESS_TOKEN') }).strict(),
      ])
      .default({ type: 'basic', emailEnv: 'JIRA_EMAIL', tokenEnv: 'JIRA_API_TOKEN' }),
    /** The project whose issues are the requirements, e.g. PROD. */
    project: z
      .string({ error: 'name the Jira project key that holds the requirements, e.g. project: PROD' })
      .regex(/^[A-Z][A-Z0-9_]{0,254}$/, 'a Jira project key such as PROD'),
    /** The issue type of a requirement (its name as the project shows it), e.g. Story, or Idea in Product Discovery. */
    issueType: z.string().trim().min(1).default('Story'),
    /** The number field that holds the demand score, e.g. customfield_10050. */
    scoreField: z
      .string({ error: 'name the number field that holds the demand score, e.g. scoreField: customfield_10050' })
      .regex(/^customfield_\d+$/, 'a custom field id such as customfield_10050 (see GET /rest/api/3/field)'),
    /** The label on an issue carrying suggested demands; a product manager removes it to confirm them. */
    suggestedLabel: label.default('crm-suggested'),
    /** Prefix of the labels the bridge finds its issues by: <prefix>product-<id>, <prefix>demand-<id>. */
    labelPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, _ . - only')
      .default('crm-'),
    /** The remote links' application name and globalId prefix: how a re-send finds and updates its link. */
    sourceSystem: z.string().min(1).default('crm-pms-bridge'),
    /** The CRM's page for a demand, {demandId} replaced: the remote link's URL (Jira requires one). */
    demandUrl: z
      .string({ error: 'give the CRM page of a demand, e.g. demandUrl: https://crm.example.com/demands/{demandId}' })
      .regex(/^https?:\/\/\S*\{demandId\}/, 'an http(s) URL containing {demandId}'),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** Issues per search page (Jira serves at most 100 with fields). */
    pageSize: z.number().int().min(1).max(100).default(50),
    rateLimit: rateLimitSchema.optional(),
  })
  .strict();
export type JiraSystemConfig = z.infer<typeof jiraSystemSchema>;

import * as z from 'zod';

/**
 * How samples of failed records are masked before a person sees them (pages, SNS, the ledger):
 * by field name and by value. Per pipeline (`pipelines.<name>.masking`); on by default.
 * Its own module so the DLQ analysis can use the defaults without the whole config schema.
 */

/**
 * Field names whose value is never shown, matched as words of the name (`customer_email`,
 * `phoneNumber`, `date-of-birth`, `api.key`), case-insensitive. Multi-word entries (`dateofbirth`,
 * `taxid`) match the name with its separators taken out.
 */
export const DEFAULT_MASKED_FIELDS = [
  // contact and identity
  'email',
  'mail',
  'phone',
  'mobile',
  'telephone',
  'tel',
  'fax',
  'name',
  'firstname',
  'lastname',
  'fullname',
  'surname',
  'givenname',
  'username',
  'nickname',
  'address',
  'street',
  'addressline',
  'city',
  'zip',
  'zipcode',
  'postcode',
  'postalcode',
  'dob',
  'birth',
  'birthday',
  'birthdate',
  'dateofbirth',
  'ssn',
  'tax',
  'taxid',
  'tin',
  'nationalid',
  'passport',
  // payment
  'iban',
  'bic',
  'swift',
  'card',
  'cardnumber',
  'pan',
  'cvv',
  'cvc',
  'expiry',
  // secrets
  'pin',
  'password',
  'passwd',
  'pass',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'key',
  'apikey',
  'authorization',
  'auth',
  'credential',
  'credentials',
  'privatekey',
  'cookie',
  'session',
] as const;

/** Kinds of values masked wherever they appear, whatever the field. */
export const VALUE_KINDS = ['email', 'card', 'iban', 'secret-pair', 'bearer', 'access-key'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

const fieldName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, dot, dash and underscore');

export const maskingSchema = z
  .object({
    /** false: samples are shown as they are (truncated only). Not recommended. */
    enabled: z.boolean().default(true),
    /** The field names to mask (replaces the default list). */
    fields: z
      .array(fieldName)
      .max(200)
      .default([...DEFAULT_MASKED_FIELDS]),
    /** Field names masked in addition to `fields`. */
    extraFields: z.array(fieldName).max(200).default([]),
    /** Field names never masked by name (e.g. `topic_name`); values are still masked by value. */
    keepFields: z.array(fieldName).max(200).default([]),
    /** What is masked by value: e-mail addresses, card numbers that pass Luhn, IBANs (mod 97), `key=value` secrets, bearer tokens, AWS access key ids. */
    values: z.array(z.enum(VALUE_KINDS)).default([...VALUE_KINDS]),
  })
  .strict();

export type MaskingConfig = z.output<typeof maskingSchema>;
export type MaskingConfigInput = z.input<typeof maskingSchema>;

export const defaultMasking = (): MaskingConfig => maskingSchema.parse({});

// Which countries' phone numbers a deployment accepts (PHONE_COUNTRY_CODES). The schema already
// holds a number to E.164; this narrows it to the countries the shops sell in and the messaging
// provider delivers to, so a number abroad is refused at intake with a field error instead of
// failing at the provider after the shop was told 202.
import type { Issue } from '../http/http-errors.js';

/** The check, and the accepted country codes as the OpenAPI document tells them (e.g. "+82, +81"). */
export type PhoneCountryPolicy = ((phone: string) => Issue | undefined) & { readonly countryCodes: string };

export function phoneCountryPolicy(countryCodes: readonly string[]): PhoneCountryPolicy {
  const allowed = countryCodes.map((c) => `+${c}`);
  const list = allowed.join(', ');
  // E.164 country codes are prefix-free (no code starts another), so a prefix test is exact.
  const check = (phone: string): Issue | undefined =>
    allowed.some((prefix) => phone.startsWith(prefix))
      ? undefined
      : { path: 'buyer.phone', message: `a phone number in a country this service delivers to (country code ${list})` };
  return Object.assign(check, { countryCodes: list });
}

// PHONE_COUNTRY_CODES: which buyers' numbers intake accepts, by their E.164 country code.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { phoneCountryPolicy } from '../../src/orders/phone-country-policy.js';

describe('the phone country policy', () => {
  it('accepts +82 by default and refuses other countries with a field error naming buyer.phone', () => {
    const policy = phoneCountryPolicy(loadConfig({}).PHONE_COUNTRY_CODES);
    expect(policy('+821012345678')).toBeUndefined();
    expect(policy('+14155550100')).toEqual({ path: 'buyer.phone', message: 'a phone number in a country this service delivers to (country code +82)' });
    // +8 alone is not a country: a number from +81 is not let in by +82's first digit.
    expect(policy('+819012345678')).toMatchObject({ path: 'buyer.phone' });
  });

  it('takes several codes, and refuses a malformed setting at start', () => {
    const policy = phoneCountryPolicy(loadConfig({ PHONE_COUNTRY_CODES: '82,81,1' }).PHONE_COUNTRY_CODES);
    expect([policy('+821012345678'), policy('+819012345678'), policy('+14155550100')]).toEqual([undefined, undefined, undefined]);
    expect(policy('+447700900123')?.message).toContain('+82, +81, +1');
    expect(() => loadConfig({ PHONE_COUNTRY_CODES: '+82' })).toThrow(/PHONE_COUNTRY_CODES/);
  });
});

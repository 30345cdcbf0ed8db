// Word lists the generator draws from. A few non-ASCII and punctuated names are deliberate:
// real PX data has them and they catch encoding bugs.
import type { PxLocation } from './records.js';

export const FIRST_NAMES = [
  'Nora', 'Liam', 'Ava', 'Noah', 'Mia', 'Lucas', 'Zoë', 'Ethan', 'Isla', 'Mateo', 'Chloé', 'Arjun',
  'Sofia', 'Kenji', 'Amara', 'Oliver', 'Priya', 'Jonas', 'Elena', 'Omar', 'Hana', 'Diego', 'Freya', 'Tariq',
] as const;

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Müller', "O'Brien", 'García', 'Nguyen', 'Kowalski', 'Patel', 'Rossi', 'Tanaka',
  'Dubois', 'Silva', 'Andersson', 'Kim', 'Novak', 'Okafor', 'Brown', 'Schmidt', 'Haddad', 'Walsh',
] as const;

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'mail.example.net', 'corp.example.io'] as const;

export const LOCATIONS: readonly PxLocation[] = [
  { cityName: 'Portland', stateCode: 'OR', countryCode: 'US', countryName: 'United States' },
  { cityName: 'San Francisco', stateCode: 'CA', countryCode: 'US', countryName: 'United States' },
  { cityName: 'New York', stateCode: 'NY', countryCode: 'US', countryName: 'United States' },
  { cityName: 'Austin', stateCode: 'TX', countryCode: 'US', countryName: 'United States' },
  { cityName: 'Chicago', stateCode: 'IL', countryCode: 'US', countryName: 'United States' },
  { cityName: 'Boston', stateCode: 'MA', countryCode: 'US', countryName: 'United States' },
  { cityName: 'London', stateCode: 'ENG', countryCode: 'GB', countryName: 'United Kingdom' },
  { cityName: 'Berlin', stateCode: 'BE', countryCode: 'DE', countryName: 'Germany' },
  { cityName: 'Paris', stateCode: 'IDF', countryCode: 'FR', countryName: 'France' },
  { cityName: 'Bengaluru', stateCode: 'KA', countryCode: 'IN', countryName: 'India' },
  { cityName: 'Sydney', stateCode: 'NSW', countryCode: 'AU', countryName: 'Australia' },
  { cityName: 'Toronto', stateCode: 'ON', countryCode: 'CA', countryName: 'Canada' },
  { cityName: 'São Paulo', stateCode: 'SP', countryCode: 'BR', countryName: 'Brazil' },
  { cityName: 'Tokyo', stateCode: '13', countryCode: 'JP', countryName: 'Japan' },
];

export const COMPANY_SUFFIXES = ['Inc', 'LLC', 'Ltd', 'GmbH', 'Corp', 'Group'] as const;

export const INDUSTRIES = [
  'Software', 'Financial Services', 'Healthcare', 'Retail', 'Manufacturing', 'Education', 'Media', 'Logistics',
] as const;

export const SIC_CODES = ['7372', '6021', '8062', '5311', '3571', '8221', '4813', '4213', '64'] as const;

export const ACCOUNT_PLANS = ['Starter', 'Growth', 'Business', 'Enterprise'] as const;

export const TIERS = ['Bronze', 'Silver', 'Gold', 'Platinum'] as const;

export const USER_PLANS = ['free', 'starter', 'pro', 'enterprise'] as const;

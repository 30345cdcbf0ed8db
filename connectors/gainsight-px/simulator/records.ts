// Record shapes as the PX REST API serves them. Optional keys are absent (never null) when the
// simulated source has no value, as real PX records are.

export interface PxLocation {
  cityName: string;
  stateCode: string;
  countryCode: string;
  countryName: string;
}

export interface PxAccount {
  id: string;
  name: string;
  propertyKeys: string[];
  industry: string;
  numberOfEmployees: number;
  numberOfUsers?: number;
  website: string;
  sicCode: string;
  plan: string;
  location: PxLocation;
  customAttributes: {
    tier: string;
    /** A number, except on the accounts that carry a value of the wrong type. */
    seats: number | string;
    internalId: number;
  };
  createDate: number;
  lastModifiedDate: number;
}

export type PxUserType = 'USER' | 'VISITOR' | 'LEAD';

export interface PxUser {
  identifyId: string;
  id: string;
  propertyKeys: string[];
  type: PxUserType;
  email?: string;
  firstName: string;
  lastName: string;
  signUpDate?: number;
  accountId?: string;
  location: PxLocation;
  customAttributes: {
    plan: string;
    /** A number, except on the users that carry a value of the wrong type. */
    score: number | string;
    betaTester: boolean;
  };
  createDate: number;
  lastModifiedDate: number;
  lastSeenDate: number;
}

export type PxObject = 'accounts' | 'users';

export const PROPERTY_KEY = 'AP-SIMULATOR-2';

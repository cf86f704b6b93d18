export {
  BeaconSchema, DEFAULT_EVENT, ENGAGEMENT_EVENT, ENGAGED_VISIT_MS, MAX_ENGAGED_MS, MAX_PROPS, MAX_PROP_VALUE, PROP_KEY,
  checkBeacon, type Beacon, type BeaconCheck,
} from './beacon.js';
export {
  RAW_RECORD_VERSION, RawRecordSchema, encodeRawRecord, decodeRawRecord, partitionKey,
  type RawRecord, type DecodeResult,
} from './raw-record.js';

export { BeaconSchema, DEFAULT_EVENT, checkBeacon, type Beacon, type BeaconCheck } from './beacon.js';
export {
  RAW_RECORD_VERSION, RawRecordSchema, encodeRawRecord, decodeRawRecord, partitionKey,
  type RawRecord, type DecodeResult,
} from './raw-record.js';

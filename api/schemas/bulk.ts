import { Type } from '@sinclair/typebox';
import { DELIMITERS } from '../../connectors/files/csv.js';
import { StringEnum } from './common.js';

export const UploadQuery = Type.Object({
  delimiter: Type.Optional(StringEnum(DELIMITERS, { description: 'comma or tab; by default taken from the content type (text/csv or text/tab-separated-values)' })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the file name, shown in run counts and errors (default: the upload id)' })),
});

export const JobIdParams = Type.Object({ jobId: Type.String({ minLength: 1, maxLength: 200 }) });

export const Upload = Type.Object({
  id: Type.String(),
  jobId: Type.String(),
  name: Type.String(),
  delimiter: Type.String(),
  header: Type.Array(Type.String()),
  rows: Type.Integer({ description: 'data lines received' }),
  malformed: Type.Integer({ description: 'lines that could not be read as a record (each becomes a failed record of the run)' }),
  status: Type.String({ description: 'pending until a run has committed every row, then consumed' }),
  runId: Type.Union([Type.String(), Type.Null()], { description: 'the run the upload asked for' }),
  consumedByRun: Type.Union([Type.String(), Type.Null()], { description: 'the run that committed its last row (another one when runs coalesced)' }),
  receivedAt: Type.String(),
  consumedAt: Type.Union([Type.String(), Type.Null()]),
});

export const UploadAnswer = Type.Object({
  runId: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running')]),
  workflowId: Type.String(),
  upload: Upload,
});

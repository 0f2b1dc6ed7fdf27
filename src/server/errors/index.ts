export { MalformedRequestError } from './MalformedRequestError.js';
export { PayloadTooLargeError } from './PayloadTooLargeError.js';
export { UnauthorizedError } from './UnauthorizedError.js';
export { CrossOriginError } from './CrossOriginError.js';
export { statusOf } from './httpStatus.js';
export { errorResponse, send, type ErrorBody } from './errorResponse.js';

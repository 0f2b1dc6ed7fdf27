export { MalformedRequestError } from './MalformedRequestError.js';
export { PayloadTooLargeError } from './PayloadTooLargeError.js';
export { UnauthorizedError } from './UnauthorizedError.js';
export { CrossOriginError } from './CrossOriginError.js';
export { statusOf, HTTP_STATUS_BY_CODE } from './httpStatus.js';
export { errorResponse, send, type ErrorBody } from './errorResponse.js';

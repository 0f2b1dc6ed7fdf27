export type { Provider, ProgressEvent, LogLine, SubmittedJob, CallOptions, WaitOptions, ImageSource, DownloadedImage } from './Provider.js';

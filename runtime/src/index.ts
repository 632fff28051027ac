// Public API: re-exports only. Each concern lives in the file named after it.
export { startService, Service, ServiceError } from "./service.js";
export type { StartOptions, StopOptions, PublishOptions, RequestOptions } from "./service.js";
export { runService } from "./run.js";
export { resolveConfig, ConfigError, generateServiceId } from "./config.js";
export type { BaseConfig, Config, ConfigSources, ResolvedConfig } from "./config.js";
export { connectNats, NatsConnectError, DEFAULT_CONNECT_TIMEOUT_MS } from "./nats.js";
export { Message, MessageFormatError } from "./message.js";
export { encodeBody } from "./encode.js";
export type { Body } from "./encode.js";
export { RecentErrors, RECENT_ERRORS_WINDOW_MS } from "./errors.js";
export { HEALTH_SUBJECT, HEALTH_SUBJECTS } from "./health.js";
export type { HealthReport } from "./health.js";
export { ERROR_HEADER, ERROR_CODE_HEADER } from "./subscribe.js";
export type { Handler, SubscribeOptions } from "./subscribe.js";
export { logSubject, categoryProblem, LogCategoryError, LOG_SUBJECT_PREFIX, LOG_SUBJECT_PREFIX_DOTTED } from "./log.js";
export { startLogSink, LogFiles } from "./log-sink.js";
export { formatLogLine, parseLogLine } from "./log-file-format.js";

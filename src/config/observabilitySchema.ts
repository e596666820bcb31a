import { z } from 'zod';

/**
 * Where traces go. Absent endpoint: the standard OpenTelemetry variables decide
 * (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, then OTEL_EXPORTER_OTLP_ENDPOINT); none of them: no tracing.
 */
export const observabilitySchema = z
  .object({
    otlp: z
      .object({
        /**
         * Base URL of an OTLP/HTTP receiver (a collector), like OTEL_EXPORTER_OTLP_ENDPOINT: spans are
         * posted as OTLP/JSON to <endpoint>/v1/traces. Set here, it wins over the environment.
         */
        endpoint: z.url({ message: 'an http(s) URL such as http://127.0.0.1:4318' }).optional(),
      })
      .default({}),
    /** The service.name of every span; OTEL_SERVICE_NAME wins over it, as OpenTelemetry specifies. */
    serviceName: z.string().min(1).default('crm-pms-bridge'),
  })
  .default({ otlp: {}, serviceName: 'crm-pms-bridge' });

/**
 * JSON schemas for the custom resources the manifests may use, which neither kubernetes-models
 * nor the client's field catalogue know (and no `@kubernetes-models/prometheus-operator` is
 * installed). Hand-written from the CRD the Prometheus Operator ships
 * (example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml, operator v0.84):
 * every field of the levels the manifests write is listed with its type, so
 * `additionalProperties: false` turns a misspelling there into an unknown field; deeper levels
 * (TLS, authentication, relabelings) are typed as objects only. `metadata` is left open here:
 * schema-checks.ts holds it to the Kubernetes ObjectMeta field catalogue instead.
 */

/** Prometheus durations as the CRD's pattern accepts them: `15s`, `1m30s`, `500ms`, `0`. */
export const DURATION =
  '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$';

const string = { type: 'string' };
const boolean = { type: 'boolean' };
const integer = { type: 'integer' };
const object = { type: 'object' };
const strings = { type: 'array', items: string };
const objects = { type: 'array', items: object };
const intOrString = { anyOf: [integer, string] };
const duration = { type: 'string', pattern: DURATION };
const scrapeProtocol = {
  enum: [
    'PrometheusProto',
    'OpenMetricsText0.0.1',
    'OpenMetricsText1.0.0',
    'PrometheusText0.0.4',
    'PrometheusText1.0.0',
  ],
};

/** metav1.LabelSelector, as the CRD embeds it (strict: a selector typo selects nothing). */
const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: string },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: string,
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: strings,
        },
      },
    },
  },
};

/** One scrape endpoint of a ServiceMonitor (monitoring.coreos.com/v1 Endpoint). */
const serviceMonitorEndpoint = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: string,
    targetPort: intOrString,
    path: string,
    scheme: { enum: ['http', 'https'] },
    params: { type: 'object', additionalProperties: strings },
    interval: duration,
    scrapeTimeout: duration,
    honorLabels: boolean,
    honorTimestamps: boolean,
    trackTimestampsStaleness: boolean,
    filterRunning: boolean,
    followRedirects: boolean,
    enableHttp2: boolean,
    relabelings: objects,
    metricRelabelings: objects,
    tlsConfig: object,
    authorization: object,
    basicAuth: object,
    oauth2: object,
    bearerTokenFile: string,
    bearerTokenSecret: object,
    proxyUrl: { type: 'string', pattern: '^(http|https|socks5)://.+$' },
    noProxy: string,
    proxyFromEnvironment: boolean,
    proxyConnectHeader: object,
  },
};

const serviceMonitor = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'ServiceMonitor' },
    metadata: { type: 'object', required: ['name'] },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['endpoints', 'selector'],
      properties: {
        selector: labelSelector,
        namespaceSelector: {
          type: 'object',
          additionalProperties: false,
          properties: { any: boolean, matchNames: strings },
        },
        endpoints: { type: 'array', items: serviceMonitorEndpoint },
        selectorMechanism: { enum: ['RelabelConfig', 'RoleSelector'] },
        jobLabel: string,
        targetLabels: strings,
        podTargetLabels: strings,
        attachMetadata: {
          type: 'object',
          additionalProperties: false,
          properties: { node: boolean },
        },
        scrapeClass: { type: 'string', minLength: 1 },
        scrapeProtocols: { type: 'array', items: scrapeProtocol },
        fallbackScrapeProtocol: scrapeProtocol,
        scrapeClassicHistograms: boolean,
        convertClassicHistogramsToNHCB: boolean,
        nativeHistogramBucketLimit: integer,
        nativeHistogramMinBucketFactor: intOrString,
        sampleLimit: integer,
        targetLimit: integer,
        labelLimit: integer,
        labelNameLengthLimit: integer,
        labelValueLengthLimit: integer,
        keepDroppedTargets: integer,
        bodySizeLimit: string,
      },
    },
  },
};

/**
 * Traefik's Middleware (traefik.io/v1alpha1), from the CRD Traefik v3.6 ships
 * (docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml): every kind of
 * middleware the spec may hold is listed, the one the manifests use (retry) with its fields.
 */
const MIDDLEWARE_KINDS = [
  'addPrefix',
  'basicAuth',
  'buffering',
  'chain',
  'circuitBreaker',
  'compress',
  'contentType',
  'digestAuth',
  'errors',
  'forwardAuth',
  'grpcWeb',
  'headers',
  'inFlightReq',
  'ipAllowList',
  'ipWhiteList',
  'passTLSClientCert',
  'plugin',
  'rateLimit',
  'redirectRegex',
  'redirectScheme',
  'replacePath',
  'replacePathRegex',
  'stripPrefix',
  'stripPrefixRegex',
];
const traefikMiddleware = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'traefik.io/v1alpha1' },
    kind: { const: 'Middleware' },
    metadata: { type: 'object', required: ['name'] },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ...Object.fromEntries(MIDDLEWARE_KINDS.map((kind) => [kind, object])),
        retry: {
          type: 'object',
          additionalProperties: false,
          properties: {
            attempts: { type: 'integer', minimum: 0 },
            initialInterval: {
              anyOf: [
                integer,
                { type: 'string', pattern: '^([0-9]+(ns|us|µs|ms|s|m|h)?)+$' },
              ],
            },
          },
        },
      },
    },
  },
};

/** `apiVersion/kind` → the schema an object of that kind is held to. */
export const CUSTOM_RESOURCE_SCHEMAS: Record<string, object> = {
  'monitoring.coreos.com/v1/ServiceMonitor': serviceMonitor,
  'traefik.io/v1alpha1/Middleware': traefikMiddleware,
};

/**
 * Kong's routes entity, traditional router flavour (routes.lua + routes_subschemas.lua, 3.x).
 * The subschema is chosen by the first protocol that has one: http, stream (tcp/tls/udp/
 * tls_passthrough) or grpc; ws/wss follow http.
 */
import * as t from '../typedefs.ts';
import type { EntityDefinition, FieldMap, Subschema } from '../types.ts';

const STREAM = "'tcp', 'tls', 'tls_passthrough' or 'udp'";

const httpSubschema: Subschema = {
  name: 'http',
  fields: {
    sources: t.sources({ eq: null, err: "cannot set 'sources' when 'protocols' is 'http' or 'https'" }),
    destinations: t.destinations({
      eq: null,
      err: "cannot set 'destinations' when 'protocols' is 'http' or 'https'",
    }),
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'https' },
        then_at_least_one_of: ['methods', 'hosts', 'headers', 'paths', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'https'",
        else_match: { contains: 'http' },
        else_then_at_least_one_of: ['methods', 'hosts', 'headers', 'paths'],
        else_then_err: "must set one of %s when 'protocols' is 'http'",
      },
    },
  ],
};

const streamSubschema: Subschema = {
  name: 'tcp',
  fields: {
    methods: t.methods({ eq: null, err: `cannot set 'methods' when 'protocols' is ${STREAM}` }),
    hosts: t.hosts({ eq: null, err: `cannot set 'hosts' when 'protocols' is ${STREAM}` }),
    paths: t.routerPaths({ eq: null, err: `cannot set 'paths' when 'protocols' is ${STREAM}` }),
    headers: t.headers({ eq: null, err: `cannot set 'headers' when 'protocols' is ${STREAM}` }),
  },
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', one_of: ['tcp', 'tls', 'udp'] } },
        then_at_least_one_of: ['sources', 'destinations', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'tcp', 'tls' or 'udp'",
      },
    },
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { elements: { type: 'string', one_of: ['tls_passthrough'] } },
        then_at_least_one_of: ['snis'],
        then_err: "must set snis when 'protocols' is 'tls_passthrough'",
      },
    },
  ],
};

const grpcSubschema: Subschema = {
  name: 'grpc',
  fields: {
    strip_path: {
      type: 'boolean',
      required: true,
      default: false,
      ne: true,
      err: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    },
    methods: t.methods({ eq: null, err: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" }),
    sources: t.sources({ eq: null, err: "cannot set 'sources' when 'protocols' is 'grpc' or 'grpcs'" }),
    destinations: t.destinations({
      eq: null,
      err: "cannot set 'destinations' when 'protocols' is 'grpc' or 'grpcs'",
    }),
  } satisfies FieldMap,
  entity_checks: [
    {
      conditional_at_least_one_of: {
        if_field: 'protocols',
        if_match: { contains: 'grpcs' },
        then_at_least_one_of: ['hosts', 'headers', 'paths', 'snis'],
        then_err: "must set one of %s when 'protocols' is 'grpcs'",
        else_match: { contains: 'grpc' },
        else_then_at_least_one_of: ['hosts', 'headers', 'paths'],
        else_then_err: "must set one of %s when 'protocols' is 'grpc'",
      },
    },
  ],
};

export const routes = {
  name: 'routes',
  endpoint: '/routes',
  primary_key: ['id'],
  endpoint_key: 'name',
  subschema_key: 'protocols',
  fields: {
    id: t.uuid(),
    created_at: t.autoTimestampS(),
    updated_at: t.autoTimestampS(),
    name: t.name(),
    protocols: {
      type: 'set',
      len_min: 1,
      required: true,
      elements: t.routeProtocol,
      mutually_exclusive_subsets: [
        ['http', 'https'],
        ['tcp', 'tls', 'udp'],
        ['tls_passthrough'],
        ['grpc', 'grpcs'],
        ['ws', 'wss'],
      ],
      default: ['http', 'https'],
    },
    methods: t.methods(),
    hosts: t.hosts(),
    paths: t.routerPaths(),
    headers: t.headers({
      keys: {
        type: 'string',
        match_none: [
          {
            pattern: /^[Hh][Oo][Ss][Tt]$/,
            err: "cannot contain 'host' header, which must be specified in the 'hosts' attribute",
          },
        ],
        custom_validator: t.headerName().custom_validator,
      },
    }),
    https_redirect_status_code: {
      type: 'integer',
      one_of: [426, 301, 302, 307, 308],
      default: 426,
      required: true,
    },
    regex_priority: { type: 'integer', default: 0 },
    strip_path: { type: 'boolean', required: true, default: true },
    path_handling: { type: 'string', default: 'v0', one_of: ['v0', 'v1'] },
    preserve_host: { type: 'boolean', required: true, default: false },
    request_buffering: { type: 'boolean', required: true, default: true },
    response_buffering: { type: 'boolean', required: true, default: true },
    snis: { type: 'set', elements: t.sni() },
    sources: t.sources(),
    destinations: t.destinations(),
    tags: t.tags(),
    // No on_delete: Kong refuses to delete a service that routes still reference.
    service: { type: 'foreign', reference: 'services' },
  },
  entity_checks: [
    {
      conditional: {
        if_field: 'protocols',
        if_match: {
          elements: { type: 'string', not_one_of: ['grpcs', 'https', 'tls', 'tls_passthrough', 'wss'] },
        },
        then_field: 'snis',
        then_match: { len_eq: 0 },
        then_err:
          "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls', 'tls_passthrough', or 'wss'",
      },
    },
  ],
  subschemas: {
    http: httpSubschema,
    https: httpSubschema,
    ws: httpSubschema,
    wss: httpSubschema,
    tcp: streamSubschema,
    tls: streamSubschema,
    udp: streamSubschema,
    tls_passthrough: streamSubschema,
    grpc: grpcSubschema,
    grpcs: grpcSubschema,
  },
} as const satisfies EntityDefinition;

// docker-compose cannot run on engine-less machines, so what can be checked is checked here: it
// runs the same Kafka and registry versions as the local stack, sets only settings tollgate
// knows, and the alert rules and dashboard ask only for metrics tollgate exports.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { settingVariables } from '../../src/config/settings.js';
import { createMetrics } from '../../src/telemetry/metrics.js';

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown>;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
};
const pomVersion = (path: string, property: string) =>
  new RegExp(`<${property}>([^<]+)</${property}>`).exec(readFileSync(path, 'utf8'))?.[1];

describe('docker-compose.yml', () => {
  it('has every service of the stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['grafana', 'kafka', 'postgres', 'prometheus', 'redis', 'registry', 'tollgate'].sort(),
    );
  });

  it('runs the Kafka and registry versions the local stack runs', () => {
    expect(compose.services.kafka?.image).toBe(
      `apache/kafka:${pomVersion('deploy/local/kafka/pom.xml', 'kafka.version')}`,
    );
    expect(compose.services.registry?.image).toBe(
      `apicurio/apicurio-registry:${pomVersion('deploy/local/registry/pom.xml', 'apicurio.version')}`,
    );
  });

  it('configures tollgate only with variables it reads, and only on services that exist', () => {
    const tollgate = compose.services.tollgate;
    for (const name of Object.keys(tollgate?.environment ?? {}))
      expect(settingVariables).toContain(name);
    for (const dep of Object.keys(tollgate?.depends_on ?? {}))
      expect(compose.services).toHaveProperty(dep);
  });
});

describe('monitoring', () => {
  const exported = new Set(
    (createMetrics(false).registry.getMetricsAsArray() as Array<{ name: string }>).map(
      (m) => m.name,
    ),
  );
  const referenced = (text: string) =>
    [...text.matchAll(/\b(tollgate_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map(
      (m) => m[1] as string,
    );

  it('alert rules use exported metrics', () => {
    const names = referenced(readFileSync('deploy/prometheus/rules.yml', 'utf8'));
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(exported).toContain(n);
  });

  it('the Grafana dashboard uses exported metrics', () => {
    const names = referenced(readFileSync('deploy/grafana/dashboards/tollgate.json', 'utf8'));
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(exported).toContain(n);
  });
});

/** The machine a benchmark ran on, recorded beside its figures (bench/main.ts, the GPU kit). */
import os from 'node:os';

/** Load averages rounded to hundredths. */
export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

/** OS, CPU, cores, memory, load at the start and Node's version. */
export function hostFacts() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()}`,
    platform: `${os.platform()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadAverage(),
    nodeVersion: process.version,
  };
}

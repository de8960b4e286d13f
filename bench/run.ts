/** `npm run bench`: throughput and latency of CanCan against a bare fastify ceiling (to be written). */
process.stdout.write('benchmark not written yet\n');

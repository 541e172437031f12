/**
 * The master's HTTP routes: {@link dev.dcache.master.api.DataApi} (the public {@code /data} API: validate,
 * call the router, answer), {@link dev.dcache.master.api.DataFastPath} (the single-key data routes served
 * on Jetty's core API without holding a thread), {@link dev.dcache.master.api.AdminApi} (adding and
 * removing aux nodes), {@link dev.dcache.master.api.ClusterApi} ({@code /health}, {@code /cluster}),
 * {@link dev.dcache.master.api.ContractApi} ({@code /openapi.json}, the API's OpenAPI document), and
 * the internal {@link dev.dcache.master.api.BackupApi} and {@link dev.dcache.master.api.InvalidationApi};
 * {@link dev.dcache.master.api.KeyCodec} validates keys and decodes them from paths. This package only
 * parses and answers: routing and replication are in {@code routing}.
 */
package dev.dcache.master.api;

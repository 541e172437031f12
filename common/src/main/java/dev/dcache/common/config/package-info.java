/**
 * Reading configuration from the environment: {@link dev.dcache.common.config.Env} gives typed,
 * range-checked access to environment variables and fails with a {@link
 * dev.dcache.common.config.ConfigException} that names the variable and the bad value, and {@link
 * dev.dcache.common.config.LogFormat} picks the Logback configuration ({@code LOG_FORMAT=json}) before the
 * first logger exists. The settings themselves are each module's config record ({@code
 * aux.config.AuxConfig}, {@code master.config.MasterConfig}).
 */
package dev.dcache.common.config;

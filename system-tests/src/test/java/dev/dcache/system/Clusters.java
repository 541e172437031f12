package dev.dcache.system;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

import java.util.ArrayList;
import java.util.List;

/**
 * Launches {@link LaunchedCluster}s for a test class and stops them: a cluster started with
 * {@link #forTest} after the test that started it, one started with {@link #forClass} after the
 * class's last test. A cluster's logs are printed (and its RUN_DIR kept) when a test that used it
 * failed. Register it with {@code @RegisterExtension}: static, or on an instance field of a
 * {@code PER_CLASS} test class.
 */
final class Clusters implements AfterTestExecutionCallback, AfterEachCallback, AfterAllCallback {
    private final List<LaunchedCluster> classScoped = new ArrayList<>();
    private final List<LaunchedCluster> testScoped = new ArrayList<>();

    /** A cluster for the running test only. */
    LaunchedCluster forTest(LaunchedCluster.Layout layout) throws Exception {
        LaunchedCluster c = LaunchedCluster.start(layout);
        testScoped.add(c);
        return c;
    }

    /** A cluster shared by the class's tests, stopped after the last one. */
    LaunchedCluster forClass(LaunchedCluster.Layout layout) throws Exception {
        LaunchedCluster c = LaunchedCluster.start(layout);
        classScoped.add(c);
        return c;
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        // a skipped test (a failed assumption) ends with an exception too, but nothing failed
        if (context.getExecutionException().filter(e -> !(e instanceof TestAbortedException)).isPresent()) {
            testScoped.forEach(LaunchedCluster::markFailed);
            classScoped.forEach(LaunchedCluster::markFailed);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        closeAll(testScoped);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (context.getExecutionException().isPresent()) { // e.g. a @BeforeAll that failed after the launch
            classScoped.forEach(LaunchedCluster::markFailed);
        }
        closeAll(classScoped);
    }

    private static void closeAll(List<LaunchedCluster> clusters) throws Exception {
        Exception first = null;
        for (LaunchedCluster c : clusters) {
            try {
                c.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        clusters.clear();
        if (first != null) {
            throw first;
        }
    }
}

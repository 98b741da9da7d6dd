import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.node.Node;

/**
 * An OpenSearch cluster of N nodes in one JVM (codelibs' OpenSearchRunner, every module), for
 * development and tests, bound to 127.0.0.1 on the ports it is given.
 *
 * <p>Arguments: BASE_DIR CLUSTER_NAME HTTP_PORTS TRANSPORT_PORTS CONTROL_PORT_FILE (ports
 * comma-separated, one per node). The runner alone cannot stop and restart one node of a
 * running cluster, which the fault tests need: a small HTTP control endpoint on an ephemeral
 * loopback port (written to CONTROL_PORT_FILE) does, {@code POST /nodes/K/stop} and
 * {@code POST /nodes/K/start} (K from 1). SIGTERM closes every node.
 */
public final class OpenSearchCluster {
    public static void main(String[] args) throws Exception {
        Path base = Paths.get(args[0]).toAbsolutePath();
        String clusterName = args[1];
        String[] http = args[2].split(",");
        String[] transport = args[3].split(",");
        Path controlPortFile = Paths.get(args[4]);
        List<String> seeds = new ArrayList<>();
        for (String port : transport) {
            seeds.add("127.0.0.1:" + port);
        }
        OpenSearchRunner runner = new OpenSearchRunner();
        runner.onBuild((id, settings) -> {
            settings.put("http.port", http[id - 1]);
            settings.put("transport.port", transport[id - 1]);
            settings.put("network.host", "127.0.0.1");
            settings.putList("discovery.seed_hosts", seeds);
            // A nearly full developer disk must not stop shards from being allocated.
            settings.put("cluster.routing.allocation.disk.threshold_enabled", false);
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                runner.close();
            } catch (IOException e) {
                e.printStackTrace();
            }
        }));
        runner.build("-basePath", base.toString(), "-numOfNode", String.valueOf(http.length),
            "-clusterName", clusterName);

        HttpServer control = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        control.createContext("/nodes/", exchange -> answer(exchange, runner));
        control.start();
        Files.writeString(controlPortFile, String.valueOf(control.getAddress().getPort()));
        System.out.println("cluster started");
        Thread.currentThread().join();
    }

    private static void answer(HttpExchange exchange, OpenSearchRunner runner) throws IOException {
        String[] parts = exchange.getRequestURI().getPath().split("/"); // "", nodes, K, action
        int status = 200;
        String body;
        try {
            int index = Integer.parseInt(parts[2]) - 1;
            Node node = runner.getNode(index);
            if (!"POST".equals(exchange.getRequestMethod()) || parts.length != 4) {
                status = 405;
                body = "use POST /nodes/K/stop or POST /nodes/K/start";
            } else if (node == null) {
                status = 404;
                body = "no node " + parts[2];
            } else if (parts[3].equals("stop")) {
                node.close();
                body = node.awaitClose(60, TimeUnit.SECONDS) ? "stopped" : "still closing";
            } else if (parts[3].equals("start")) {
                body = runner.startNode(index) ? "started" : "already running";
            } else {
                status = 404;
                body = "unknown action " + parts[3];
            }
        } catch (Exception e) {
            status = 500;
            body = e.toString();
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }
}

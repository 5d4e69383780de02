package io.imgindex.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.file.Files;
import java.util.Map;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.junit.jupiter.api.Test;

/**
 * The index server's Deployment and Service and the RabbitMQ cluster, bound to the Kubernetes model classes: the
 * probes hit endpoints the server has, the Service selects the pods, credentials come from Secrets, and the
 * stream job's broker address and Secret are the ones the RabbitMQ operator makes for that cluster.
 */
class KubernetesManifestsTest {

    static <T> T bind(String kind, Class<T> type) throws Exception {
        Manifests.Doc d = Manifests.ofKind(kind).get(0);
        return Manifests.YAML
                .copy()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .treeToValue(d.node(), type);
    }

    @Test
    void theServerIsProbedOnItsOwnHealthEndpoints() throws Exception {
        Deployment deployment = bind("Deployment", Deployment.class);
        Container server =
                deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(server.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(server.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(server.getStartupProbe()).isNotNull();
        String openapi = Files.readString(Manifests.ROOT.resolve("index-server/openapi.yaml"));
        assertThat(openapi).contains("  /readyz:").contains("  /healthz:");
        assertThat(server.getCommand()).containsExactly("/opt/imgindex/server/serve");
        assertThat(Manifests.dockerfile()).contains("COPY server/ /opt/imgindex/server/");
        assertThat(server.getArgs()).containsSequence("--port", "8080");
        assertThat(server.getPorts().get(0).getContainerPort()).isEqualTo(8080);
        assertThat(server.getResources().getLimits()).containsKey("memory");
        for (EnvVar e : server.getEnv()) {
            if (e.getName().matches(".*(KEY|SECRET|PASSWORD|TOKEN).*")) {
                assertThat(e.getValue()).as(e.getName()).isNull();
                assertThat(e.getValueFrom().getSecretKeyRef()).as(e.getName()).isNotNull();
            }
        }

        Service service = bind("Service", Service.class);
        assertThat(service.getSpec().getSelector())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(service.getSpec().getSelector());
        assertThat(service.getSpec().getPorts().get(0).getTargetPort().getStrVal())
                .isEqualTo("http");
    }

    @Test
    void theStreamJobTalksToTheRabbitMqClusterDefinedHere() throws Exception {
        Manifests.Doc rabbit = Manifests.ofKind("RabbitmqCluster").get(0);
        assertThat(rabbit.node().path("apiVersion").asText()).isEqualTo("rabbitmq.com/v1beta1");
        String name = rabbit.name();
        String namespace = rabbit.node().path("metadata").path("namespace").asText();
        assertThat(rabbit.node().path("spec").path("replicas").asInt()).isGreaterThanOrEqualTo(3);

        Manifests.Doc stream = Manifests.ofKind("FlinkDeployment").stream()
                .filter(d -> d.name().equals("imgindex-stream"))
                .findFirst()
                .orElseThrow();
        String args = stream.node().path("spec").path("job").path("args").toString();
        assertThat(args)
                .contains("amqp://" + name + "." + namespace + ".svc:5672/")
                .contains("quorum");
        assertThat(stream.node().path("spec").path("podTemplate").toString())
                .contains("\"name\":\"" + name + "-default-user\"");
    }

    @Test
    void everyJobReportsToPrometheusOnThePortThePodMonitorScrapes() throws Exception {
        Manifests.Doc monitor = Manifests.ofKind("PodMonitor").get(0);
        assertThat(monitor.node().path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        String scraped = monitor.node()
                .path("spec")
                .path("podMetricsEndpoints")
                .get(0)
                .path("port")
                .asText();
        assertThat(monitor.node()
                        .path("spec")
                        .path("selector")
                        .path("matchLabels")
                        .path("type")
                        .asText())
                .as("the label Flink's native Kubernetes integration puts on its pods")
                .isEqualTo("flink-native-kubernetes");
        for (Manifests.Doc d : Manifests.ofKind("FlinkDeployment")) {
            FlinkDeployment job = FlinkDeploymentResourcesTest.bind(d);
            Map<String, String> conf = job.getSpec().getFlinkConfiguration();
            assertThat(conf)
                    .as(d.name())
                    .containsEntry(
                            "metrics.reporter.prom.factory.class",
                            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
            int port = Integer.parseInt(conf.get("metrics.reporter.prom.port"));
            Container main = job.getSpec().getPodTemplate().getSpec().getContainers().stream()
                    .filter(c -> c.getName().equals("flink-main-container"))
                    .findFirst()
                    .orElseThrow();
            assertThat(main.getPorts()).as(d.name()).anySatisfy(p -> {
                assertThat(p.getName()).isEqualTo(scraped);
                assertThat(p.getContainerPort()).isEqualTo(port);
            });
        }
    }
}

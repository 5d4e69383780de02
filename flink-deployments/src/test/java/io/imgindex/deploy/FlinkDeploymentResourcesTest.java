package io.imgindex.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.UpgradeMode;
import org.apache.flink.kubernetes.operator.config.FlinkConfigManager;
import org.apache.flink.kubernetes.operator.validation.DefaultValidator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The FlinkDeployment resources as the Flink Kubernetes Operator sees them: bound to its own API classes (no
 * unknown field), checked against the CRD schema it installs, and passed through its validator, the same checks
 * its admission webhook makes. Then what imgindex needs of them: the batch job stateless, the stream job upgraded
 * through savepoints with checkpoints, savepoints and HA on S3, GPU task managers, credentials only from Secrets.
 */
class FlinkDeploymentResourcesTest {

    static List<Manifests.Doc> docs;
    static CrdSchema crd;

    @BeforeAll
    static void read() throws Exception {
        docs = Manifests.ofKind("FlinkDeployment");
        crd = CrdSchema.fromClasspath("META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml", "v1beta1");
    }

    static FlinkDeployment bind(Manifests.Doc d) throws Exception {
        return Manifests.YAML
                .copy()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .treeToValue(d.node(), FlinkDeployment.class);
    }

    static FlinkDeployment named(String name) throws Exception {
        for (Manifests.Doc d : docs) {
            if (d.name().equals(name)) {
                return bind(d);
            }
        }
        throw new AssertionError("no FlinkDeployment " + name);
    }

    @Test
    void everyJobIsThere() {
        assertThat(docs)
                .extracting(Manifests.Doc::name)
                .containsExactlyInAnyOrder("imgindex-batch", "imgindex-stream", "imgindex-compact");
    }

    @Test
    void everyResourceConformsToTheOperatorsCrdSchema() {
        for (Manifests.Doc d : docs) {
            assertThat(d.node().path("apiVersion").asText()).isEqualTo("flink.apache.org/v1beta1");
            assertThat(crd.violations(d.node()))
                    .as(d.file().getFileName().toString())
                    .isEmpty();
        }
    }

    @Test
    void theSchemaCheckCatchesMistakes() throws Exception {
        JsonNode broken = docs.get(0).node().deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.get("spec")).put("flinkVersion", "v2_0");
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.get("spec").get("job")).put("parallelizm", 3);
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.get("spec").get("taskManager")).put("replicas", "two");
        assertThat(crd.violations(broken))
                .anySatisfy(v -> assertThat(v).contains(".spec.flinkVersion").contains("v2_0"))
                .anySatisfy(v -> assertThat(v).contains(".spec.job.parallelizm: unknown field"))
                .anySatisfy(v -> assertThat(v).contains(".spec.taskManager.replicas: expected an integer"));
    }

    @Test
    void bindToTheOperatorsClassesAndPassItsValidator() throws Exception {
        DefaultValidator validator = new DefaultValidator(new FlinkConfigManager(new Configuration()));
        for (Manifests.Doc d : docs) {
            FlinkDeployment fd = bind(d);
            assertThat(validator.validateDeployment(fd))
                    .as("operator validation of " + d.file().getFileName())
                    .isEmpty();
        }
    }

    @Test
    void theValidatorIsNotANoOp() throws Exception {
        DefaultValidator validator = new DefaultValidator(new FlinkConfigManager(new Configuration()));
        FlinkDeployment stream = named("imgindex-stream");
        stream.getSpec().getFlinkConfiguration().remove("state.savepoints.dir");
        stream.getSpec().getFlinkConfiguration().remove("execution.checkpointing.savepoint-dir");
        assertThat(validator.validateDeployment(stream)).get().asString().contains("savepoint");
    }

    @Test
    void theBatchJobIsStatelessAndTheStreamJobUpgradesThroughSavepoints() throws Exception {
        FlinkDeploymentSpec batch = named("imgindex-batch").getSpec();
        assertThat(batch.getJob().getUpgradeMode()).isEqualTo(UpgradeMode.STATELESS);
        assertThat(batch.getJob().getArgs())
                .doesNotContain("--mode", "streaming")
                .contains("--input");

        FlinkDeploymentSpec stream = named("imgindex-stream").getSpec();
        assertThat(stream.getJob().getUpgradeMode()).isEqualTo(UpgradeMode.SAVEPOINT);
        assertThat(stream.getJob().getArgs()).containsSequence("--mode", "streaming");
        Map<String, String> conf = stream.getFlinkConfiguration();
        assertThat(conf.get("execution.checkpointing.dir")).startsWith("s3a://");
        assertThat(conf.get("execution.checkpointing.savepoint-dir")).startsWith("s3a://");
        // The operator (built on Flink 1.19) reads the savepoint directory under its old key only.
        assertThat(conf.get("state.savepoints.dir")).isEqualTo(conf.get("execution.checkpointing.savepoint-dir"));
        // Flink 1.20 deprecates these names; the resources use the new ones.
        assertThat(conf)
                .doesNotContainKeys(
                        "state.checkpoints.dir", "state.checkpoints.num-retained", "state.backend.incremental");
        assertThat(conf.get("high-availability.type")).isEqualTo("kubernetes");
        assertThat(conf.get("high-availability.storageDir")).startsWith("s3a://");
        assertThat(conf.get("execution.checkpointing.externalized-checkpoint-retention"))
                .isEqualTo("RETAIN_ON_CANCELLATION");
    }

    @Test
    void theStreamJobsTaskManagersHaveAGpu() throws Exception {
        FlinkDeploymentSpec stream = named("imgindex-stream").getSpec();
        Map<String, String> conf = stream.getFlinkConfiguration();
        assertThat(conf)
                .containsEntry("external-resources", "gpu")
                .containsEntry("external-resource.gpu.amount", "1")
                .containsEntry("external-resource.gpu.kubernetes.config-key", "nvidia.com/gpu")
                .containsEntry(
                        "external-resource.gpu.driver-factory.class",
                        "org.apache.flink.externalresource.gpu.GPUDriverFactory")
                .containsKey("external-resource.gpu.param.discovery-script.path");
        var tm = stream.getTaskManager().getPodTemplate().getSpec();
        assertThat(tm.getNodeSelector()).containsKey("nvidia.com/gpu.present");
        assertThat(tm.getTolerations()).anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
        Container main = tm.getContainers().stream()
                .filter(c -> c.getName().equals("flink-main-container"))
                .findFirst()
                .orElseThrow();
        assertThat(main.getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(stream.getImage()).endsWith("-gpu");
    }

    @Test
    void credentialsComeOnlyFromSecrets() throws Exception {
        for (Manifests.Doc d : docs) {
            FlinkDeploymentSpec spec = bind(d).getSpec();
            for (String key : spec.getFlinkConfiguration().keySet()) {
                assertThat(key.toLowerCase())
                        .as(d.file().getFileName() + " flinkConfiguration")
                        .doesNotContain("secret", "password", "access-key", "access.key", "token");
            }
            List<EnvVar> env = new ArrayList<>();
            for (Container c : spec.getPodTemplate().getSpec().getContainers()) {
                env.addAll(c.getEnv());
            }
            assertThat(env).isNotEmpty();
            for (EnvVar e : env) {
                if (e.getName().matches(".*(KEY|SECRET|PASSWORD|TOKEN|USERNAME).*")) {
                    assertThat(e.getValue())
                            .as(e.getName() + " has a literal value")
                            .isNull();
                    assertThat(e.getValueFrom().getSecretKeyRef())
                            .as(e.getName())
                            .isNotNull();
                }
            }
            for (String arg : spec.getJob().getArgs()) {
                assertThat(arg).as("job argument").doesNotContainPattern("://[^/@]*:[^/@]*@");
            }
        }
    }
}

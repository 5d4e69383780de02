package io.imgindex.dedup.near;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * STREAMING, parallelism 1: trains the stream's {@link Routing} once, on the first {@code size} embedded vectors
 * it sees, or on what it has when {@code wait} has passed since the first (a slow stream is not held back longer),
 * or when the input ends. Under {@code MIN_SAMPLE_PER_PARTITION * 2} vectors that is one partition. Until then
 * the router holds the items back (in its checkpointed state). The sample and whether the routing was sent are
 * checkpointed, so a restored job neither trains again nor loses the sample; the routing itself lives in the
 * router's broadcast state from then on.
 */
public final class StreamingRoutingTrainer extends AbstractStreamOperator<Routing>
        implements OneInputStreamOperator<RoutingSample.Vector, Routing>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private final int size;
    private final int partitions;
    private final float margin;
    private final long waitMillis;

    private transient List<float[]> sample;
    private transient boolean sent;
    private transient boolean timerSet;
    private transient ListState<float[]> sampleState;
    private transient ListState<Boolean> sentState;

    public StreamingRoutingTrainer(int size, int partitions, float margin, long waitMillis) {
        this.size = size;
        this.partitions = partitions;
        this.margin = margin;
        this.waitMillis = waitMillis;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        sampleState = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("routing-sample", TypeInformation.of(float[].class)));
        sentState =
                context.getOperatorStateStore().getListState(new ListStateDescriptor<>("routing-sent", Types.BOOLEAN));
        sample = new ArrayList<>();
        sampleState.get().forEach(sample::add);
        for (Boolean b : sentState.get()) {
            sent |= b;
        }
        if (!sent && !sample.isEmpty()) {
            startTimer();
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        sampleState.update(sent ? List.of() : sample);
        sentState.update(List.of(sent));
    }

    @Override
    public void processElement(StreamRecord<RoutingSample.Vector> element) {
        if (sent) {
            return;
        }
        sample.add(element.getValue().unit);
        if (sample.size() >= size) {
            send();
        } else {
            startTimer();
        }
    }

    @Override
    public void endInput() {
        send();
    }

    private void startTimer() {
        if (timerSet) {
            return;
        }
        timerSet = true;
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + waitMillis, t -> send());
    }

    private void send() {
        if (sent) {
            return;
        }
        sent = true;
        Routing routing = Routing.train(sample, partitions, margin);
        LOG.info("near-duplicate routing trained on the first {} vectors of the stream: {}", sample.size(), routing);
        sample = List.of();
        output.collect(new StreamRecord<>(routing));
    }
}

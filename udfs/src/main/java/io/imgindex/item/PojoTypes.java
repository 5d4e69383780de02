package io.imgindex.item;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.PojoField;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.api.java.typeutils.TypeExtractor;

/**
 * Builds Flink POJO type information with explicit types for the fields Flink would otherwise hand to Kryo
 * (maps, lists), so that jobs run with {@code pipeline.generic-types: false}.
 */
public final class PojoTypes {

    private PojoTypes() {}

    /**
     * The POJO type of a class with public fields.
     *
     * @param overrides types by field name, for the fields whose declared type is generic
     */
    public static <T> TypeInformation<T> of(Class<T> type, Map<String, TypeInformation<?>> overrides) {
        List<PojoField> fields = new ArrayList<>();
        for (Field f : type.getFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            TypeInformation<?> info = overrides.get(f.getName());
            fields.add(new PojoField(f, info != null ? info : TypeExtractor.createTypeInfo(f.getGenericType())));
        }
        return new PojoTypeInfo<>(type, fields);
    }
}

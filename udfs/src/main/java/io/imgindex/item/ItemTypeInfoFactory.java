package io.imgindex.item;

import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * Flink type information for {@link Item}: a POJO whose metadata map is serialized by Flink's own map
 * serializer, so no field falls back to Kryo.
 */
public class ItemTypeInfoFactory extends TypeInfoFactory<Item> {

    @Override
    public TypeInformation<Item> createTypeInfo(Type t, Map<String, TypeInformation<?>> genericParameters) {
        return PojoTypes.of(Item.class, Map.of("metadata", Types.MAP(Types.STRING, Types.STRING)));
    }
}

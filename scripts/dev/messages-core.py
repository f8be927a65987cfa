# Builds data/messages.json: the core/API messages below plus the CLI messages in
# the other messages-*.json files beside this file. Run: python3 scripts/dev/messages-core.py \
#   scripts/dev/messages-cli.json scripts/dev/messages-indicator.json > data/messages.json.
# Kept as a table so the three languages of a message stay side by side for review.
import json, sys
M = {
 # Error titles (one per ISX_E* code).
 "error.NOMEM": ("内存不足", "Недостаточно памяти", "Out of memory"),
 "error.INVAL": ("参数无效", "Недопустимый аргумент", "Invalid argument"),
 "error.PARSE": ("JSON 格式错误", "Ошибка в формате JSON", "Malformed JSON"),
 "error.FIELD": ("字段值无效", "Недопустимое значение поля", "Invalid value"),
 "error.UNKNOWN_FIELD": ("未知字段", "Неизвестное поле", "Unknown field"),
 "error.MISSING": ("缺少必填字段", "Отсутствует обязательное поле", "Required field missing"),
 "error.TYPE": ("字段类型错误", "Неверный тип поля", "Wrong type"),
 "error.NOTFOUND": ("未找到", "Не найдено", "Not found"),
 "error.EXISTS": ("已存在", "Уже существует", "Already exists"),
 "error.CONFLICT": ("与当前版本冲突", "Конфликт с текущей версией", "Conflicts with the current version"),
 "error.RETIRED": ("已停用", "Выведено из действия", "Retired"),
 "error.SIG": ("签名验证失败", "Подпись не прошла проверку", "Signature does not verify"),
 "error.KEY": ("未知签名密钥", "Неизвестный ключ подписи", "Unknown signing key"),
 "error.SECRET": ("不交流国家秘密信息（第六条第二款）", "Сведения, составляющие государственную тайну, не передаются (ст. 6, п. 2)", "State secrets are not exchanged (Art. 6.2)"),
 "error.MARKING": ("信息标注不允许此操作", "Гриф информации не допускает этого действия", "The marking does not allow this"),
 "error.AUTH": ("需要身份验证", "Требуется аутентификация", "Authentication required"),
 "error.FORBIDDEN": ("您的角色无权执行此操作", "Ваша роль не допускает этого действия", "Your role does not allow this"),
 "error.TOOBIG": ("请求过大", "Слишком большой запрос", "Request too large"),
 "error.METHOD": ("不允许的方法", "Метод не разрешён", "Method not allowed"),
 "error.MEDIA": ("不支持的媒体类型", "Неподдерживаемый тип данных", "Unsupported media type"),
 "error.IO": ("输入/输出错误", "Ошибка ввода-вывода", "Input/output error"),
 "error.STORE": ("存储错误", "Ошибка хранилища", "Storage error"),
 "error.CRYPTO": ("密码运算失败", "Сбой криптографической операции", "Cryptographic failure"),
 "error.CONFIG": ("配置无效", "Недопустимая конфигурация", "Invalid configuration"),
 "error.PERM": ("密钥文件可被他人读取", "Файл ключа доступен для чтения другим пользователям", "A secret file is readable by others"),
 "error.NET": ("网络错误", "Сетевая ошибка", "Network error"),
 "error.BUSY": ("系统繁忙，请稍后重试", "Система занята, повторите попытку", "Busy, try again"),
 "error.RANGE": ("值超出范围", "Значение вне допустимого диапазона", "Value out of range"),
 "error.json": ("无法解析 JSON：{}", "Не удалось разобрать JSON: {}", "Cannot parse JSON: {}"),
 # Schema checks.
 "schema.control": ("文本中含有控制字符", "Текст содержит управляющие символы", "The text contains control characters"),
 "schema.duplicate": ("列表中有重复项", "Повторяющийся элемент списка", "Duplicate item in the list"),
 "schema.langmap_empty": ("至少需要一种语言的文本（zh、ru 或 en）", "Нужен текст хотя бы на одном языке (zh, ru или en)", "At least one language (zh, ru or en) is required"),
 "schema.language": ("不支持的文本语言“{}”（应为 zh、ru 或 en）", "Неподдерживаемый язык текста «{}» (допустимы zh, ru, en)", "Unsupported text language '{}' (use zh, ru or en)"),
 "schema.missing": ("缺少必填字段“{}”", "Отсутствует обязательное поле «{}»", "Required field '{}' is missing"),
 "schema.range": ("数值超出允许范围", "Число вне допустимого диапазона", "The number is out of range"),
 "schema.too_few": ("至少需要 {} 项", "Требуется не менее {} элементов", "At least {} items are required"),
 "schema.too_long": ("文本过长（最多 {} 个字符）", "Слишком длинный текст (не более {} символов)", "Text too long (at most {} characters)"),
 "schema.too_many": ("项目过多（最多 {} 项）", "Слишком много элементов (не более {})", "Too many items (at most {})"),
 "schema.too_short": ("文本过短（至少 {} 个字符）", "Слишком короткий текст (не менее {} символов)", "Text too short (at least {} characters)"),
 "schema.type": ("类型错误，应为 {}", "Неверный тип, ожидается {}", "Wrong type, expected {}"),
 "schema.unknown": ("未知字段“{}”", "Неизвестное поле «{}»", "Unknown field '{}'"),
 # Markings (Art. 6).
 "marking.secret": ("标注“{}”属于国家秘密。根据协定第六条第二款，各方不交流任何一方国家法律规定属于国家秘密的信息；该对象已被拒绝，未作存储。", "Гриф «{}» относится к государственной тайне. Согласно пункту 2 статьи 6 Соглашения стороны не обмениваются сведениями, составляющими государственную тайну; объект отклонён и не сохранён.", "The label '{}' marks a state secret. Under Art. 6.2 of the Agreement the parties do not exchange information that is a state secret under a party's law; the object was refused and not stored."),
 "marking.tlp": ("未知的 TLP 级别“{}”（应为 clear、green、amber、amber+strict 或 red）", "Неизвестный уровень TLP «{}» (допустимы clear, green, amber, amber+strict, red)", "Unknown TLP level '{}' (use clear, green, amber, amber+strict or red)"),
 "marking.to_required": ("TLP:{} 级别的信息必须指明可接收的各方", "Для уровня TLP:{} необходимо указать стороны-получатели", "TLP:{} requires the list of parties that may receive it"),
 "marking.not_for_us": ("该对象的标注未指明本方（{}）为接收方", "Гриф объекта не называет эту сторону ({}) получателем", "The object's marking does not name this party ({}) as a recipient"),
 # Parties and the directory.
 "party.code": ("无效的缔约方代码“{}”（应为 ISO 3166-1 两位字母代码或 SCO）", "Недопустимый код стороны «{}» (двухбуквенный код ISO 3166-1 или SCO)", "Invalid party code '{}' (an ISO 3166-1 alpha-2 code or SCO)"),
 "directory.authority": ("无效的主管机构标识“{}”", "Недопустимый идентификатор компетентного органа «{}»", "Invalid authority id '{}'"),
 "directory.authority_unknown": ("本节点不知道主管机构“{}”，或它属于另一方", "Компетентный орган «{}» неизвестен этому узлу или относится к другой стороне", "The authority '{}' is unknown here or belongs to another party"),
 "directory.category": ("未知的机构类别“{}”（cert、foreign-affairs、regulator、law-enforcement、defence、other）", "Неизвестная категория органа «{}» (cert, foreign-affairs, regulator, law-enforcement, defence, other)", "Unknown authority category '{}' (cert, foreign-affairs, regulator, law-enforcement, defence, other)"),
 "directory.channel_type": ("未知的联络渠道类型“{}”（email、phone、https）", "Неизвестный тип канала связи «{}» (email, phone, https)", "Unknown channel type '{}' (email, phone, https)"),
 "directory.channel_value": ("该值不是有效的 {} 地址", "Значение не является допустимым адресом {}", "The value is not a valid {} address"),
 "directory.code_mismatch": ("正文中的代码“{}”与路径中的代码不一致", "Код «{}» в теле не совпадает с кодом в пути", "The code '{}' in the body differs from the code in the path"),
 "directory.day": ("无效的星期“{}”（mon…sun）", "Недопустимый день недели «{}» (mon…sun)", "Invalid day '{}' (mon…sun)"),
 "directory.direction": ("未知的合作方向“{}”（第三条，D01–D16）", "Неизвестное направление сотрудничества «{}» (ст. 3, D01–D16)", "Unknown cooperation direction '{}' (Art. 3, D01–D16)"),
 "directory.hours": ("工作时间需要 from 和 to，或 always", "Для часов работы нужны from и to либо always", "Working hours need from and to, or always"),
 "directory.immutable": ("字段“{}”不能更改；请新建条目", "Поле «{}» изменить нельзя; создайте новую запись", "The field '{}' cannot change; create a new entry"),
 "directory.kind": ("未知的联络点类型“{}”（diplomatic 或 technical）", "Неизвестный вид контактного лица «{}» (diplomatic или technical)", "Unknown contact kind '{}' (diplomatic or technical)"),
 "directory.language": ("未知的语言代码“{}”（ISO 639-1）", "Неизвестный код языка «{}» (ISO 639-1)", "Unknown language code '{}' (ISO 639-1)"),
 "directory.not_origin": ("该条目由 {} 发布，只有其发布方可以修改", "Запись опубликована стороной {}; изменить её может только она", "This entry was published by {}; only its originator can change it"),
 "directory.own_entry": ("本方（{}）的条目只能由本节点发布", "Запись этой стороны ({}) публикует только этот узел", "This party's ({}) entry is published by this node only"),
 "directory.own_party": ("本节点只能发布本方（{}）的主管机构和联络点", "Этот узел публикует компетентные органы и контактные лица только своей стороны ({})", "This node publishes authorities and contacts of its own party ({}) only"),
 "directory.retired": ("条目“{}”已停用，不能再修改", "Запись «{}» выведена из действия и не может изменяться", "The entry '{}' is retired and cannot change"),
 "directory.status": ("无效的状态“{}”（active 或 retired）", "Недопустимый статус «{}» (active или retired)", "Invalid status '{}' (active or retired)"),
 "directory.status_on_create": ("新建条目时不能设置状态", "Статус нельзя задать при создании записи", "The status cannot be set when creating an entry"),
 "directory.status_on_update": ("请使用停用操作来改变状态", "Для изменения статуса используйте вывод из действия", "Use retire to change the status"),
 "directory.time": ("无效的时间“{}”（HH:MM）", "Недопустимое время «{}» (ЧЧ:ММ)", "Invalid time '{}' (HH:MM)"),
 "directory.tz": ("无效的时区“{}”（IANA 名称，例如 Asia/Shanghai）", "Недопустимый часовой пояс «{}» (имя IANA, например Europe/Moscow)", "Invalid time zone '{}' (an IANA name such as Asia/Shanghai)"),
 # Objects.
 "object.body": ("对象必须且只能有 body 或 sealed 之一", "Объект должен содержать ровно одно из полей body и sealed", "An object has exactly one of body and sealed"),
 "object.conflict": ("已有更新的版本（当前版本 {}）", "Существует более новая версия (текущая {})", "A newer version exists (current {})"),
 "object.format": ("不支持的对象格式（isx 应为 1）", "Неподдерживаемый формат объекта (isx должно быть 1)", "Unsupported object format (isx must be 1)"),
 "object.id": ("无效的对象标识“{}”", "Недопустимый идентификатор объекта «{}»", "Invalid object id '{}'"),
 "object.key": ("签名密钥 {} 不属于该对象的发布方", "Ключ подписи {} не принадлежит стороне-отправителю объекта", "The signing key {} is not a key of the object's originator"),
 "object.sig": ("签名列表格式错误", "Неверный формат списка подписей", "The signature list is malformed"),
 "object.sig_bad": ("密钥 {} 的签名与对象内容不符：对象已被篡改或签名伪造", "Подпись ключом {} не соответствует содержимому: объект изменён или подпись подделана", "The signature by key {} does not match the content: the object was altered or the signature forged"),
 "object.suite": ("不支持的签名算法“{}”", "Неподдерживаемый алгоритм подписи «{}»", "Unsupported signature suite '{}'"),
 "object.type": ("未知的对象类型“{}”", "Неизвестный тип объекта «{}»", "Unknown object type '{}'"),
 "object.unsigned": ("对象没有签名", "Объект не подписан", "The object is not signed"),
 "object.version": ("版本必须是 RFC 3339 UTC 时间（毫秒精度）", "Версия должна быть временем UTC по RFC 3339 с миллисекундами", "The version must be an RFC 3339 UTC time with milliseconds"),
 # API.
 "api.bool": ("应为 true 或 false，而不是“{}”", "Ожидается true или false, а не «{}»", "Expected true or false, not '{}'"),
 "api.cursor": ("无效的分页游标“{}”", "Недопустимый курсор страницы «{}»", "Invalid page cursor '{}'"),
 "api.limit": ("limit 应为 1 到 {} 之间的整数", "limit должен быть целым числом от 1 до {}", "limit must be a whole number from 1 to {}"),
 "api.no_body": ("此操作不接受请求正文", "Эта операция не принимает тело запроса", "This operation takes no request body"),
 "api.not_found": ("未找到“{}”", "«{}» не найдено", "'{}' was not found"),
 "taxonomy.unknown": ("未知的威胁类型或特征代码“{}”", "Неизвестный код вида угрозы или признака «{}»", "Unknown threat type or feature code '{}'"),
 "user.exists": ("用户“{}”已存在", "Пользователь «{}» уже существует", "The user '{}' already exists"),
 "user.name": ("无效的用户名“{}”（小写字母、数字、. _ -）", "Недопустимое имя пользователя «{}» (строчные латинские буквы, цифры, . _ -)", "Invalid user name '{}' (lower-case letters, digits, . _ -)"),
 "user.role": ("未知的角色“{}”（observer、analyst、liaison、admin）", "Неизвестная роль «{}» (observer, analyst, liaison, admin)", "Unknown role '{}' (observer, analyst, liaison, admin)"),
 # Config and node.
 "config.syntax": ("配置文件第 {} 行语法错误", "Синтаксическая ошибка в строке {} файла конфигурации", "Syntax error on line {} of the configuration"),
 "config.unknown": ("配置文件第 {} 行有未知的设置项", "Неизвестный параметр в строке {} файла конфигурации", "Unknown setting on line {} of the configuration"),
 "config.value": ("配置文件第 {} 行的值无效", "Недопустимое значение в строке {} файла конфигурации", "Invalid value on line {} of the configuration"),
 "node.dir": ("无法使用节点目录 {}", "Невозможно использовать каталог узла {}", "Cannot use the node directory {}"),
 "node.exists": ("{} 中已有节点", "В {} уже есть узел", "A node already exists in {}"),
 "node.key": ("无法读取密钥文件 {}", "Не удалось прочитать файл ключа {}", "Cannot read the key file {}"),
 "node.no_config": ("找不到节点配置 {}（请先运行 isx init）", "Не найдена конфигурация узла {} (сначала выполните isx init)", "No node configuration at {} (run isx init first)"),
 "node.party_changed": ("该节点创建时属于 {}，配置中的 party 不能更改", "Узел создан для стороны {}; параметр party в конфигурации изменить нельзя", "This node was created for {}; the party in the configuration cannot change"),
 "node.signer": ("无法启动签名进程", "Не удалось запустить процесс подписи", "Cannot start the signer process"),
 "node.database": ("无法打开数据库 {}", "Не удалось открыть базу данных {}", "Cannot open the database {}"),
 "cli.file": ("无法读取文件 {}", "Не удалось прочитать файл {}", "Cannot read the file {}"),
 "isxd.usage": ("用法：isxd [-n] [-d 节点目录] [-p 端口]", "Использование: isxd [-n] [-d каталог_узла] [-p порт]", "usage: isxd [-n] [-d node-dir] [-p port]"),
 "isxd.config_ok": ("配置和密钥检查通过", "Конфигурация и ключи в порядке", "configuration and keys are valid"),
}
out = {k: {"zh": v[0], "ru": v[1], "en": v[2]} for k, v in M.items()}
extra = sys.argv[1:]
for path in extra:
    with open(path) as f:
        for k, v in json.load(f).items():
            if k in out:
                raise SystemExit("duplicate key " + k)
            out[k] = v
json.dump(dict(sorted(out.items())), sys.stdout, ensure_ascii=False, indent=1)
print()

#!/bin/sh
# `make demo`: four isx nodes on 127.0.0.1 — CN, RU, KZ and the depositary SCO — and a walk
# through federation, narrated in DEMO_LANG (zh, ru or en; default from LANG, else en):
#
#   1. peering, and KZ learning CN's keys from the depositary's signed directory entry;
#   2. a TLP:AMBER report for RU only reaches RU and nobody else;
#   3. the depositary relays a sealed report for KZ that it cannot read;
#   4. RU forwards the step-2 report to KZ once CN signed a release (Art. 6.3);
#   5. KZ is killed with SIGKILL, misses two reports and catches up after a restart;
#   6. a tampered object and an unsigned federation request are refused;
#   7. the peer list and the witnesses' verdict (no alarms);
#   8. a communication check of the points of contact: RU and KZ publish contacts, CN pings
#      them, one answers through the CLI, one through its one-time link, one never does; the
#      results at CN, a second answer and a late one refused, the silent contact flagged once
#      the ping closes (its deadline is 40 s away, so this step waits about half a minute);
#   9. an extraordinary consultation (Art. 5.2): CN proposes it to RU and KZ, KZ objects with a
#      reason, CN revises the dates, both consent, CN records the minutes; a second consent and
#      one from the Secretariat are refused.
#
# Every step checks its outcome and the script exits non-zero with the reason when something
# did not happen, so the demo is also an end-to-end test. The nodes live in a temporary
# directory under var/demo/; they are stopped (SIGTERM) and the directory is removed on exit,
# on failure and on Ctrl-C. DEMO_KEEP=1 keeps the directory; DEMO_TIMEOUT (seconds, default
# 30) bounds every wait. Needs curl, sqlite3 and python3 (scripts/install-deps.sh).
#
# POSIX sh (tested with dash and bash).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
ISX=$ROOT/build/isx
ISXD=$ROOT/build/isxd
TIMEOUT=${DEMO_TIMEOUT:-30}
NODES="CN RU KZ SCO"

case ${DEMO_LANG:-} in
zh | ru | en) L=$DEMO_LANG ;;
"")
    case ${LANG:-} in
    zh*) L=zh ;;
    ru*) L=ru ;;
    *) L=en ;;
    esac
    ;;
*)
    echo "demo: DEMO_LANG must be zh, ru or en (not '$DEMO_LANG')" >&2
    exit 2
    ;;
esac

# ---------------------------------------------------------------------------------------------
# The narration, in three languages. msg KEY [ARG...] prints the text of KEY in $L, with the
# arguments substituted for its %s.

# shellcheck disable=SC2034 # en, zh and ru are read through $L
msg() {
    _k=$1
    shift
    case $_k in
    title)
        en='isx federation demo: four nodes — CN, RU, KZ and the depositary SCO'
        zh='isx 联邦演示：四个节点——CN、RU、KZ 和保存机构 SCO'
        ru='Демонстрация федерации isx: четыре узла — CN, RU, KZ и депозитарий SCO' ;;
    workdir)
        en='Node directories: %s (removed at the end; DEMO_KEEP=1 keeps them).'
        zh='节点目录：%s（结束时删除；设置 DEMO_KEEP=1 可保留）。'
        ru='Каталоги узлов: %s (удаляются в конце; DEMO_KEEP=1 их сохраняет).' ;;
    howto)
        en='Every isx command below runs with --lang %s; ISX_URL and ISX_TOKEN point at the node in brackets.'
        zh='下面每条 isx 命令都带 --lang %s 运行；ISX_URL 和 ISX_TOKEN 指向方括号中的节点。'
        ru='Каждая команда isx ниже выполняется с --lang %s; ISX_URL и ISX_TOKEN указывают на узел в квадратных скобках.' ;;
    missing)
        en='demo: %s is needed: run sh scripts/install-deps.sh'
        zh='demo：需要 %s：请运行 sh scripts/install-deps.sh'
        ru='demo: нужен %s: выполните sh scripts/install-deps.sh' ;;
    starting)
        en='Creating and starting the four nodes (each takes a free port on 127.0.0.1; sync every second, witnessing every 2 s; SCO relays):'
        zh='创建并启动四个节点（各自在 127.0.0.1 上取一个空闲端口；每秒同步一次，每 2 秒见证一次；SCO 担任中继）：'
        ru='Создаём и запускаем четыре узла (каждый берёт свободный порт на 127.0.0.1; синхронизация каждую секунду, наблюдение за журналами каждые 2 с; SCO — ретранслятор):' ;;
    started)
        en='%s  %s  (pid %s)'
        zh='%s  %s（进程 %s）'
        ru='%s  %s  (pid %s)' ;;
    ok)
        en='✓ %s'
        zh='✓ %s'
        ru='✓ %s' ;;

    s1)
        en='Step 1/9. Peering and the depositary'"'"'s directory'
        zh='第 1/9 步：建立对等关系与保存机构的目录'
        ru='Шаг 1/9. Партнёрские связи и справочник депозитария' ;;
    s1.intro)
        en='Peerings: CN–RU, CN–SCO (SCO relays for CN), RU–KZ, RU–SCO, KZ–SCO. CN and KZ are not connected.'
        zh='对等关系：CN–RU、CN–SCO（SCO 为 CN 中继）、RU–KZ、RU–SCO、KZ–SCO。CN 与 KZ 之间没有直接连接。'
        ru='Связи: CN–RU, CN–SCO (SCO ретранслирует для CN), RU–KZ, RU–SCO, KZ–SCO. CN и KZ напрямую не связаны.' ;;
    s1.confirm)
        en='Each operator adds the other node, reading its keys from it; the key id printed is what the two operators confirm by telephone or in person.'
        zh='每个运营方添加对方节点并从对方读取公钥；打印出的密钥标识由双方运营人员通过电话或当面核对。'
        ru='Каждый оператор добавляет узел другой стороны, считывая его ключи; напечатанный идентификатор ключа операторы сверяют по телефону или лично.' ;;
    s1.first)
        en='The depositary registers each party'"'"'s node first, and publishes that party'"'"'s directory entry with the node'"'"'s keys, signed by SCO:'
        zh='保存机构先登记各方节点，并发布带有该节点公钥、由 SCO 签名的该方目录条目：'
        ru='Сначала депозитарий регистрирует узел каждой стороны и публикует запись этой стороны в справочнике с ключами узла, подписанную SCO:' ;;
    s1.then)
        en='Then the parties connect to each other and to the depositary (CN takes SCO as its relay):'
        zh='然后各方相互连接并连接保存机构（CN 把 SCO 设为中继）：'
        ru='Затем стороны подключаются друг к другу и к депозитарию (CN назначает SCO своим ретранслятором):' ;;
    s1.wait)
        en='Waiting until every node has exchanged with all its peers…'
        zh='等待每个节点与其全部对等节点完成交换……'
        ru='Ждём, пока каждый узел обменяется данными со всеми своими партнёрами…' ;;
    s1.lists)
        en='The peers of each node after a sync round:'
        zh='同步一轮之后各节点的对等节点：'
        ru='Партнёры каждого узла после раунда синхронизации:' ;;
    s1.refused)
        en='(The Refused column counts objects declined either way. Here they are directory entries: a node'"'"'s own party'"'"'s entry passed back to it by others (only a party speaks for its own entry), and entries that arrived before the key that verifies them (they come again later).)'
        zh='（“已拒绝”一列统计双向被拒收的对象。这里都是目录条目：其他节点转回来的、关于本节点自己一方的条目（只有一方自己能为其条目发言），以及在验证它们的公钥到达之前就先到的条目（之后会再次送来）。）'
        ru='(Столбец «Отклонено» считает объекты, не принятые в обе стороны. Здесь это записи справочника: запись о собственной стороне узла, которую ему вернули другие (за свою запись говорит только сама сторона), и записи, пришедшие раньше ключа для их проверки (они придут снова).)' ;;
    s1.dep)
        en='KZ has never talked to CN, yet it knows CN'"'"'s keys: it holds the depositary'"'"'s entry for CN, with CN'"'"'s keys, signed by SCO (trimmed):'
        zh='KZ 从未与 CN 通信，却知道 CN 的公钥：它保存着保存机构发布的 CN 条目，带有 CN 的公钥，由 SCO 签名（节选）：'
        ru='KZ ни разу не связывался с CN, но знает его ключи: у него есть запись депозитария о CN с ключами CN, подписанная SCO (сокращённо):' ;;
    s1.own)
        en='With those keys KZ could verify CN'"'"'s own self-signed entry when a peer passed it on; a party'"'"'s own word ranks first, so that is the current version now. The versions KZ holds:'
        zh='借助这些公钥，KZ 在对等节点转来 CN 自签名的条目时得以验证它；一方自己的条目优先，所以它现在是当前版本。KZ 保存的各个版本：'
        ru='С этими ключами KZ смог проверить собственную запись CN, подписанную самим CN, когда её переслал партнёр; слово самой стороны главнее, поэтому теперь текущая версия — она. Версии у KZ:' ;;
    s1.ok)
        en='every node reaches its peers, and KZ knows CN'"'"'s keys through the depositary'
        zh='每个节点都能连通其对等节点，KZ 通过保存机构得知了 CN 的公钥'
        ru='все узлы связаны со своими партнёрами, KZ знает ключи CN через депозитария' ;;

    s2)
        en='Step 2/9. A TLP:AMBER report for RU only'
        zh='第 2/9 步：仅发给 RU 的 TLP:AMBER 报告'
        ru='Шаг 2/9. Отчёт TLP:AMBER только для RU' ;;
    s2.submit)
        en='CN reports a threat at TLP:AMBER addressed to RU only; its body is sealed for CN and RU.'
        zh='CN 以 TLP:AMBER 报告一项威胁，只发给 RU；报告正文只为 CN 和 RU 加密封装。'
        ru='CN сообщает об угрозе с TLP:AMBER только для RU; тело отчёта запечатано для CN и RU.' ;;
    s2.ru)
        en='RU receives it and reads it:'
        zh='RU 收到并能阅读该报告：'
        ru='RU получает отчёт и читает его:' ;;
    s2.rounds)
        en='Letting a few more sync rounds pass…'
        zh='再等几轮同步……'
        ru='Даём пройти ещё нескольким раундам синхронизации…' ;;
    s2.kz)
        en='KZ never receives it:'
        zh='KZ 从未收到该报告：'
        ru='KZ его так и не получает:' ;;
    s2.sco)
        en='The depositary does not have it either, not even sealed (its database):'
        zh='保存机构也没有这份报告，连密文都没有（查其数据库）：'
        ru='У депозитария его тоже нет, даже в запечатанном виде (его база данных):' ;;
    s2.ok)
        en='RU reads the report; KZ and SCO do not have it'
        zh='RU 能阅读报告；KZ 和 SCO 都没有它'
        ru='RU читает отчёт; у KZ и SCO его нет' ;;

    s3)
        en='Step 3/9. The depositary relays what it cannot read'
        zh='第 3/9 步：保存机构转发它无法阅读的内容'
        ru='Шаг 3/9. Депозитарий передаёт то, что не может прочесть' ;;
    s3.submit)
        en='CN reports at TLP:AMBER to KZ only. CN has no link to KZ, so it hands the sealed report to its relay, SCO.'
        zh='CN 以 TLP:AMBER 报告，只发给 KZ。CN 与 KZ 没有连接，于是把密封的报告交给它的中继 SCO。'
        ru='CN отправляет отчёт TLP:AMBER только для KZ. Связи с KZ у CN нет, поэтому он передаёт запечатанный отчёт своему ретранслятору SCO.' ;;
    s3.kz)
        en='KZ receives it (from SCO) and reads it:'
        zh='KZ（从 SCO）收到并能阅读该报告：'
        ru='KZ получает отчёт (от SCO) и читает его:' ;;
    s3.sco)
        en='SCO'"'"'s API does not show it, because SCO cannot open it:'
        zh='SCO 的 API 不显示该报告，因为 SCO 无法打开它：'
        ru='API узла SCO его не показывает: SCO не может его вскрыть:' ;;
    s3.db)
        en='Yet SCO'"'"'s database holds the envelope it forwarded: marking, origin, ciphertext, and the content key wrapped for CN and KZ only. No body:'
        zh='但 SCO 的数据库里存有它转发的信封：标记、来源、密文，以及只为 CN 和 KZ 封装的内容密钥。没有正文：'
        ru='Но в базе SCO лежит переданный им конверт: гриф, источник, шифртекст и ключ содержимого, обёрнутый только для CN и KZ. Тела нет:' ;;
    s3.ok)
        en='SCO carried the report to KZ without being able to read it'
        zh='SCO 把报告送到了 KZ，自己却无法阅读'
        ru='SCO доставил отчёт KZ, не имея возможности его прочесть' ;;

    s4)
        en='Step 4/9. Onward transfer with the originator'"'"'s release (Art. 6.3)'
        zh='第 4/9 步：经来源方授权的转交（第 6.3 条）'
        ru='Шаг 4/9. Передача третьей стороне с разрешения источника (ст. 6.3)' ;;
    s4.ask)
        en='RU wants to share CN'"'"'s step-2 report with KZ. It may not do that on its own: RU'"'"'s liaison asks CN'"'"'s by another channel (telephone, diplomatic note).'
        zh='RU 想把 CN 在第 2 步的报告转给 KZ，但不能自行决定：RU 的联络人通过其他渠道（电话、外交照会）向 CN 的联络人提出请求。'
        ru='RU хочет передать KZ отчёт CN из шага 2. Сам он этого сделать не вправе: контактное лицо RU просит CN по другому каналу (телефон, дипломатическая нота).' ;;
    s4.grant)
        en='CN agrees and signs a release of that exact version to KZ:'
        zh='CN 同意，并签署了把该版本转交给 KZ 的授权：'
        ru='CN соглашается и подписывает разрешение на передачу именно этой версии KZ:' ;;
    s4.note)
        en='RU asked by telephone; CN agreed'
        zh='RU 电话请求，CN 同意'
        ru='RU попросил по телефону, CN согласился' ;;
    s4.kz)
        en='RU'"'"'s node forwards the release and then the report; KZ opens it with the key the release wraps for it:'
        zh='RU 的节点先转发授权、再转发报告；KZ 用授权中为它封装的密钥打开报告：'
        ru='Узел RU пересылает сначала разрешение, затем отчёт; KZ вскрывает его ключом, обёрнутым для него в разрешении:' ;;
    s4.ok)
        en='KZ reads the released report, delivered by RU'
        zh='KZ 能阅读经授权的报告，由 RU 送达'
        ru='KZ читает разрешённый отчёт, доставленный RU' ;;

    s5)
        en='Step 5/9. A node killed mid-stream catches up'
        zh='第 5/9 步：中途被杀掉的节点追上进度'
        ru='Шаг 5/9. Узел, убитый на ходу, догоняет остальных' ;;
    s5.kill)
        en='KZ'"'"'s isxd gets SIGKILL (pid %s): no clean shutdown.'
        zh='向 KZ 的 isxd 发送 SIGKILL（进程 %s）：不做正常关闭。'
        ru='isxd узла KZ получает SIGKILL (pid %s): без корректной остановки.' ;;
    s5.submit)
        en='Meanwhile CN submits two TLP:GREEN reports, which may reach every party:'
        zh='与此同时，CN 提交两份 TLP:GREEN 报告，可发给所有缔约方：'
        ru='Тем временем CN отправляет два отчёта TLP:GREEN, которые могут получить все стороны:' ;;
    s5.down)
        en='RU cannot reach KZ and keeps a backlog for it:'
        zh='RU 无法连接 KZ，为它保留了积压：'
        ru='RU не может связаться с KZ и копит для него очередь:' ;;
    s5.restart)
        en='KZ is restarted on the same port and resumes from the cursors it stored:'
        zh='KZ 在同一端口重新启动，从已保存的游标处继续：'
        ru='KZ перезапускается на том же порту и продолжает с сохранённых курсоров:' ;;
    s5.got)
        en='KZ has both reports, each stored exactly once (one version, one row):'
        zh='KZ 收到了两份报告，每份只存储一次（一个版本、一行）：'
        ru='У KZ оба отчёта, каждый сохранён ровно один раз (одна версия, одна строка):' ;;
    s5.ok)
        en='KZ caught up after the crash: 2 reports, each once'
        zh='KZ 在崩溃后追上了进度：2 份报告，各一次'
        ru='KZ догнал остальных после сбоя: 2 отчёта, каждый по одному разу' ;;

    s6)
        en='Step 6/9. Tampered and unsigned messages are refused'
        zh='第 6/9 步：篡改的和未签名的消息被拒绝'
        ru='Шаг 6/9. Подделанные и неподписанные сообщения отвергаются' ;;
    s6.take)
        en='(a) Take CN'"'"'s GREEN report as RU holds it, and change its title:'
        zh='(a) 取 RU 保存的 CN 的 GREEN 报告，修改其标题：'
        ru='(а) Берём GREEN-отчёт CN в том виде, в каком он хранится у RU, и меняем заголовок:' ;;
    s6.fake)
        en='All clear, ignore this report'
        zh='一切正常，请忽略此报告'
        ru='Всё в порядке, игнорируйте этот отчёт' ;;
    s6.import)
        en='Importing the altered envelope at KZ:'
        zh='在 KZ 导入被篡改的信封：'
        ru='Импортируем изменённый конверт на KZ:' ;;
    s6.kept)
        en='KZ refused it: CN'"'"'s signature does not cover the new content. KZ'"'"'s copy is unchanged: %s'
        zh='KZ 拒绝了它：CN 的签名与新内容不符。KZ 的副本未变：%s'
        ru='KZ отверг его: подпись CN не сходится с новым содержимым. Копия KZ не изменилась: %s' ;;
    s6.curl)
        en='(b) A federation request without a signature:'
        zh='(b) 一个没有签名的联邦请求：'
        ru='(б) Запрос федерации без подписи:' ;;
    s6.metric)
        en='KZ counts the refusal in /metrics:'
        zh='KZ 在 /metrics 中记录了这次拒绝：'
        ru='KZ учитывает отказ в /metrics:' ;;
    s6.ok)
        en='the altered object and the unsigned request were refused and changed nothing'
        zh='被篡改的对象和未签名的请求都被拒绝，且未造成任何改变'
        ru='изменённый объект и неподписанный запрос отвергнуты и ничего не изменили' ;;

    s7)
        en='Step 7/9. The peers and the witnesses'"'"' verdict'
        zh='第 7/9 步：对等节点与见证结论'
        ru='Шаг 7/9. Партнёры и вердикт наблюдения' ;;
    s7.peers)
        en='CN'"'"'s peers:'
        zh='CN 的对等节点：'
        ru='Партнёры CN:' ;;
    s7.witness)
        en='Witnessing: each node checks that its peers'"'"' logs only grow, and cosigns their checkpoints. CN'"'"'s view:'
        zh='见证：每个节点检查其对等节点的日志只增不改，并为其检查点联署。CN 的视角：'
        ru='Наблюдение: каждый узел проверяет, что журналы его партнёров только растут, и заверяет их контрольные точки своей подписью. С точки зрения CN:' ;;
    s7.cols)
        en='PEER|RELAY|LOG SIZE WITNESSED|LAST CONTACT'
        zh='对等节点|中继|已见证日志大小|最近联系'
        ru='ПАРТНЁР|РЕТРАНСЛЯТОР|РАЗМЕР ЖУРНАЛА ПОД НАБЛЮДЕНИЕМ|ПОСЛЕДНЯЯ СВЯЗЬ' ;;
    s7.yes)
        en='yes'
        zh='是'
        ru='да' ;;
    s7.no)
        en='no'
        zh='否'
        ru='нет' ;;
    s7.alarms)
        en='Witness alarms:'
        zh='见证警报：'
        ru='Тревоги наблюдения:' ;;
    s7.ok)
        en='no witness alarms on any of the four nodes'
        zh='四个节点都没有见证警报'
        ru='ни на одном из четырёх узлов нет тревог наблюдения' ;;

    s8)
        en='Step 8/9. A communication check of the points of contact'
        zh='第 8/9 步：联络点通联测试'
        ru='Шаг 8/9. Проверка связи с контактными пунктами' ;;
    s8.intro)
        en='Art. 5.1: the parties exchange the details of the channels through which they exchange information directly. The UN points-of-contact directory checks such a list with "pings": every point of contact is asked to acknowledge a message before a deadline.'
        zh='第五条第一款：各方交换可直接交流信息的联络渠道信息。联合国联络点名录以“通联测试”（ping）检查这类名录：请每个联络点在截止时间之前确认收到一条消息。'
        ru='П. 1 ст. 5: Стороны обмениваются сведениями о каналах, по которым можно напрямую обмениваться информацией. Справочник контактных пунктов ООН проверяет такой перечень «пингами»: каждый контактный пункт должен до установленного срока подтвердить получение сообщения.' ;;
    s8.pocs)
        en='RU and KZ each publish points of contact of their own party. They are TLP:GREEN directory entries, so they reach every node:'
        zh='RU 和 KZ 各自发布本方的联络点。它们是 TLP:GREEN 的名录条目，因此会送达每个节点：'
        ru='RU и KZ публикуют контактные пункты своих Сторон. Это записи справочника с грифом TLP:GREEN, поэтому они доходят до всех узлов:' ;;
    s8.cn)
        en='CN'"'"'s directory now lists them (KZ'"'"'s came through RU or SCO; CN has no contacts of its own in this demo):'
        zh='CN 的名录现在列出了这些联络点（KZ 的经由 RU 或 SCO 送达；本演示中 CN 没有自己的联络点）：'
        ru='Теперь они есть в справочнике CN (контактный пункт KZ пришёл через RU или SCO; своих контактных пунктов у CN в этой демонстрации нет):' ;;
    s8.start)
        en='CN pings every point of contact of RU and KZ. The deadline is a UTC time %s s from now, so that the demo sees the ping close (the default is 48 h):'
        zh='CN 对 RU 和 KZ 的每个联络点发起通联测试。截止时间设为 %s 秒之后的 UTC 时刻，以便在演示中看到测试截止（默认为 48 小时）：'
        ru='CN проверяет все контактные пункты RU и KZ. Срок — момент UTC через %s с, чтобы в демонстрации проверка успела закрыться (по умолчанию — 48 ч):' ;;
    s8.ru)
        en='The ping reaches RU and KZ (TLP:GREEN, addressed to the two). %s answers by telephone, and RU'"'"'s liaison records it:'
        zh='测试送达 RU 和 KZ（TLP:GREEN，发给这两方）。%s通过电话应答，RU 的联络员予以记录：'
        ru='Проверка доходит до RU и KZ (TLP:GREEN, адресована этим двум Сторонам). %s отвечает по телефону, связной RU это фиксирует:' ;;
    s8.kz)
        en='KZ'"'"'s node shows the ping with a one-time link for each of KZ'"'"'s contacts that has not answered; the operator delivers it by the channels in the directory (the node sends no mail):'
        zh='KZ 的节点显示该测试，并为本方每个尚未应答的联络点列出一次性链接；运营人员通过名录中的联络渠道转交（节点不发送邮件）：'
        ru='Узел KZ показывает проверку и одноразовую ссылку для каждого своего контактного пункта, который ещё не ответил; оператор передаёт её по каналам из справочника (узел почту не рассылает):' ;;
    s8.open)
        en='%s opens the link, with no account on the node. Reading it confirms nothing (mail scanners that follow links answer for nobody):'
        zh='%s打开链接，她在节点上没有账号。仅读取链接不会确认（打开链接的邮件扫描程序不会替人应答）：'
        ru='%s открывает ссылку, учётной записи на узле у неё нет. Чтение ссылки ничего не подтверждает (почтовые сканеры, открывающие ссылки, ни за кого не ответят):' ;;
    s8.click)
        en='She confirms:'
        zh='她进行确认：'
        ru='Она подтверждает получение:' ;;
    s8.twice)
        en='The link confirmed a second time is refused: each contact acknowledges once.'
        zh='通过同一链接再次确认被拒绝：每个联络点只能确认一次。'
        ru='Повторное подтверждение по той же ссылке отклоняется: каждый контактный пункт отвечает один раз.' ;;
    s8.results)
        en='Each answer is an ack object signed by the node of the contact'"'"'s own party, sent to everyone who holds the ping. The results at CN: response rate, median time to answer, per kind of contact and per party:'
        zh='每个应答都是由联络点所属缔约方的节点签名的确认对象，发给持有该测试的各方。CN 上的结果：应答率、应答时间中位数，并按联络点类型和缔约方分列：'
        ru='Каждый ответ — объект подтверждения, подписанный узлом Стороны контактного пункта и отправленный всем, у кого есть проверка. Итоги на CN: доля ответивших, медианное время ответа, по видам контактных пунктов и по Сторонам:' ;;
    s8.wait)
        en='%s does not answer. Waiting for the deadline (%s s)…'
        zh='%s没有应答。等待截止时间（%s 秒）……'
        ru='%s не отвечает. Ждём срока (%s с)…' ;;
    s8.late)
        en='%s answers after the deadline: the answer is refused.'
        zh='%s在截止之后才应答：应答被拒绝。'
        ru='%s отвечает уже после срока: ответ отклоняется.' ;;
    s8.flag)
        en='The ping is closed. CN'"'"'s directory flags the contact that did not answer (computed when read: the signed entry is unchanged):'
        zh='测试已截止。CN 的名录标出了未应答的联络点（读取时计算，已签名的条目不变）：'
        ru='Проверка закрыта. Справочник CN отмечает контактный пункт, который не ответил (отметка вычисляется при чтении, подписанная запись не меняется):' ;;
    s8.ok)
        en='ping round: 2 of 3 contacts answered (CLI, one-time link), a second and a late answer refused, the silent contact flagged'
        zh='通联测试：3 个联络点中 2 个应答（命令行、一次性链接），重复应答和逾期应答被拒绝，未应答的联络点已标出'
        ru='проверка связи: ответили 2 контактных пункта из 3 (командная строка, одноразовая ссылка), повторный и запоздавший ответы отклонены, молчащий пункт отмечен' ;;
    poc.ivan)
        en='Ivan Petrov'
        zh='伊万·彼得罗夫'
        ru='Иван Петров' ;;
    poc.ivan.org)
        en='Computer incident coordination centre (example)'
        zh='计算机事件协调中心（示例）'
        ru='Координационный центр по компьютерным инцидентам (пример)' ;;
    poc.anna)
        en='Anna Smirnova'
        zh='安娜·斯米尔诺娃'
        ru='Анна Смирнова' ;;
    poc.anna.org)
        en='Ministry of Foreign Affairs of Russia (example)'
        zh='俄罗斯外交部（示例）'
        ru='МИД России (пример)' ;;
    poc.aigul)
        en='Aigul Satpayeva'
        zh='艾古丽·萨特帕耶娃'
        ru='Айгуль Сатпаева' ;;
    poc.aigul.org)
        en='Ministry of Foreign Affairs of Kazakhstan (example)'
        zh='哈萨克斯坦外交部（示例）'
        ru='МИД Казахстана (пример)' ;;

    s9)
        en='Step 9/9. An extraordinary consultation (Art. 5.2)'
        zh='第 9/9 步：非例行磋商（第五条第二款）'
        ru='Шаг 9/9. Внеочередные консультации (п. 2 ст. 5)' ;;
    s9.intro)
        en='Art. 5.2: any party may propose an extraordinary consultation, proposing its dates, venue and agenda, and agree them with the parties and the SCO Secretariat. It is decided when every party asked has consented.'
        zh='第五条第二款：任何一方均可提议举办非例行磋商，就会期、地点和议题提出建议，并与各方和上海合作组织秘书处就此进行协商。须同意的各方均同意后，磋商即商定。'
        ru='П. 2 ст. 5: любая из Сторон может предложить проведение внеочередных консультаций, предложив сроки, место и повестку дня и согласовав их со Сторонами и Секретариатом ШОС. Консультации согласованы, когда согласились все Стороны, к которым обращено предложение.' ;;
    s9.propose)
        en='CN proposes one to RU and KZ, and sends it to the SCO Secretariat too. The first agenda item names the step-2 report, which becomes its reference:'
        zh='CN 向 RU 和 KZ 提议举办非例行磋商，并同时发给上海合作组织秘书处。第一项议题写明第 2 步的报告，该报告即成为其引用：'
        ru='CN предлагает их RU и KZ и направляет предложение также Секретариату ШОС. В первом пункте повестки назван отчёт из шага 2 — он становится ссылкой этого пункта:' ;;
    s9.place)
        en='Beijing'
        zh='北京'
        ru='Пекин' ;;
    s9.item1)
        en='The phishing campaign against banks, %s'
        zh='针对银行的网络钓鱼活动，%s'
        ru='Фишинговая кампания против банков, %s' ;;
    s9.item2)
        en='Joint measures in response'
        zh='共同应对措施'
        ru='Совместные меры реагирования' ;;
    s9.consent)
        en='The proposal reaches RU, KZ and SCO. RU consents:'
        zh='提议送达 RU、KZ 和 SCO。RU 表示同意：'
        ru='Предложение доходит до RU, KZ и SCO. RU соглашается:' ;;
    s9.note1)
        en='We agree'
        zh='同意'
        ru='Согласны' ;;
    s9.object)
        en='KZ objects; an objection must give its reason:'
        zh='KZ 表示反对；反对必须说明理由：'
        ru='KZ возражает; возражение должно содержать причину:' ;;
    s9.reason)
        en='These dates clash with a national exercise; two weeks later would suit us'
        zh='该会期与我国的一次演习冲突，推迟两周较为合适'
        ru='Сроки совпадают с национальными учениями; нам подошли бы сроки на две недели позже'
        ;;
    s9.objected)
        en='At CN the consultation now shows the objection and its reason:'
        zh='CN 上该磋商现在显示了反对意见及其理由：'
        ru='На CN у консультаций теперь видны возражение и его причина:' ;;
    s9.revise)
        en='CN moves the dates as KZ asked. A revision is the next round: every party decides again, and round 1'"'"'s decisions stay in the history:'
        zh='CN 按 KZ 的要求修改会期。修改即进入下一轮：各方重新表态，第 1 轮的表态保留在历史中：'
        ru='CN переносит сроки, как просил KZ. Изменение условий — это следующий тур: все Стороны решают заново, решения первого тура остаются в истории:' ;;
    s9.again)
        en='RU consents to round 2:'
        zh='RU 同意第 2 轮的条件：'
        ru='RU соглашается на условия второго тура:' ;;
    s9.twice)
        en='RU consenting a second time is refused (409): one decision per party and round.'
        zh='RU 再次表示同意被拒绝（409）：每方每轮只能表态一次。'
        ru='Повторное согласие RU отклоняется (409): одно решение от Стороны за тур.' ;;
    s9.sco)
        en='SCO received the proposal, but a consent from the Secretariat is refused (403): it is consulted, yet it is not a party (Art. 11), so its consent is not asked for.'
        zh='SCO 收到了提议，但秘书处的同意被拒绝（403）：秘书处参与协商，但不是缔约方（第十一条），无须其同意。'
        ru='SCO получил предложение, но согласие Секретариата отклоняется (403): с ним консультации согласуют, но он не Сторона (ст. 11), и его согласия не требуется.' ;;
    s9.kz)
        en='KZ consents to the new dates:'
        zh='KZ 同意新的会期：'
        ru='KZ соглашается на новые сроки:' ;;
    s9.note2)
        en='The new dates suit us'
        zh='新的会期合适'
        ru='Новые сроки нас устраивают' ;;
    s9.decided)
        en='At CN the consultation is decided: RU and KZ consented in round 2.'
        zh='CN 上该磋商已商定：RU 和 KZ 均同意第 2 轮的条件。'
        ru='На CN консультации согласованы: RU и KZ согласились на условия второго тура.' ;;
    s9.minutes)
        en='After the meeting CN records the minutes: a signed new version with the hashes of the consents that decided it. RU receives them:'
        zh='会后 CN 记录纪要：这是一个签名的新版本，带有据以商定的各项同意的哈希值。RU 收到了纪要：'
        ru='После встречи CN вносит протокол — новую подписанную версию с хешами согласий, на которых основано решение. RU получает его:' ;;
    s9.text)
        en='The parties exchanged what they know of the campaign and agreed joint measures.'
        zh='各方交流了该活动的情况，并商定了共同应对措施。'
        ru='Стороны обменялись сведениями о кампании и согласовали совместные меры реагирования.' ;;
    s9.ok)
        en='extraordinary consultation: proposed, objected with a reason, revised, decided and minuted; a second consent and the Secretariat'"'"'s refused'
        zh='非例行磋商：提议、附理由反对、修改、商定并记录纪要；重复同意和秘书处的同意均被拒绝'
        ru='внеочередные консультации: предложены, получили возражение с причиной, изменены, согласованы, протокол внесён; повторное согласие и согласие Секретариата отклонены' ;;

    end)
        en='All 9 steps passed. Stopping the nodes.'
        zh='全部 9 步通过。正在停止各节点。'
        ru='Все 9 шагов пройдены. Останавливаем узлы.' ;;
    failed)
        en='✗ FAILED in step %s: %s'
        zh='✗ 第 %s 步失败：%s'
        ru='✗ СБОЙ на шаге %s: %s' ;;
    failed0)
        en='✗ FAILED while starting the nodes: %s'
        zh='✗ 启动节点时失败：%s'
        ru='✗ СБОЙ при запуске узлов: %s' ;;
    logs)
        en='The last lines each node logged (requests left out):'
        zh='各节点日志的最后几行（略去请求记录）：'
        ru='Последние строки журналов узлов (без строк запросов):' ;;
    kept)
        en='The node directories are kept in %s.'
        zh='节点目录保留在 %s。'
        ru='Каталоги узлов сохранены в %s.' ;;
    interrupted)
        en='Interrupted.'
        zh='已中断。'
        ru='Прервано.' ;;

    f.start)
        en='%s did not start (its log follows)'
        zh='%s 未能启动（日志见下）'
        ru='%s не запустился (его журнал ниже)' ;;
    f.cmd)
        en='the command failed: isx %s'
        zh='命令失败：isx %s'
        ru='команда завершилась с ошибкой: isx %s' ;;
    f.settle)
        en='the nodes did not finish exchanging with their peers within %s s'
        zh='各节点未能在 %s 秒内与对等节点完成交换'
        ru='узлы не завершили обмен с партнёрами за %s с' ;;
    f.dep)
        en='KZ has no version of CN'"'"'s entry signed by SCO with CN'"'"'s keys after %s s'
        zh='%s 秒后 KZ 仍没有由 SCO 签名、带 CN 公钥的 CN 条目'
        ru='через %s с у KZ нет версии записи CN с ключами CN, подписанной SCO' ;;
    f.notread)
        en='%s cannot read report %s after %s s'
        zh='%s 无法阅读报告 %s（已等待 %s 秒）'
        ru='%s не может прочесть отчёт %s через %s с' ;;
    f.leak)
        en='%s holds report %s, which was not for it'
        zh='%s 持有报告 %s，而该报告并非发给它'
        ru='у %s есть отчёт %s, не предназначенный ему' ;;
    f.shown)
        en='SCO'"'"'s API shows report %s, which SCO only relays'
        zh='SCO 的 API 显示了它只负责转发的报告 %s'
        ru='API SCO показывает отчёт %s, который SCO только ретранслирует' ;;
    f.envelope)
        en='SCO'"'"'s stored envelope of %s is not sealed-only: %s'
        zh='SCO 存储的 %s 信封并非只有密文：%s'
        ru='конверт %s в базе SCO не только запечатан: %s' ;;
    f.dead)
        en='KZ'"'"'s isxd did not die after SIGKILL'
        zh='KZ 的 isxd 在 SIGKILL 后没有退出'
        ru='isxd узла KZ не завершился после SIGKILL' ;;
    f.backlog)
        en='RU did not notice within %s s that KZ is down'
        zh='RU 在 %s 秒内没有发现 KZ 已停止'
        ru='RU за %s с не заметил, что KZ недоступен' ;;
    f.once)
        en='KZ holds report %s %s times'
        zh='KZ 持有报告 %s 共 %s 次'
        ru='у KZ отчёт %s хранится %s раз(а)' ;;
    f.tamper)
        en='KZ did not refuse the altered object (exit status %s)'
        zh='KZ 没有拒绝被篡改的对象（退出状态 %s）'
        ru='KZ не отверг изменённый объект (код выхода %s)' ;;
    f.changed)
        en='KZ'"'"'s copy of %s changed'
        zh='KZ 上 %s 的副本被改变了'
        ru='копия %s на KZ изменилась' ;;
    f.unsigned)
        en='the unsigned request got HTTP %s instead of a 401 problem'
        zh='未签名的请求得到 HTTP %s，而不是 401 问题文档'
        ru='неподписанный запрос получил HTTP %s вместо проблемы 401' ;;
    f.metric)
        en='isx_fed_requests_refused_total{reason="unsigned"} went from %s to %s, not up by one'
        zh='isx_fed_requests_refused_total{reason="unsigned"} 从 %s 变为 %s，而不是加一'
        ru='isx_fed_requests_refused_total{reason="unsigned"} изменился с %s на %s, а не на единицу' ;;
    f.witness)
        en='%s has not witnessed all its peers'"'"' logs after %s s'
        zh='%s 未能见证其全部对等节点的日志（已等待 %s 秒）'
        ru='%s не проверил журналы всех партнёров за %s с' ;;
    f.alarm)
        en='%s raised a witness alarm'
        zh='%s 发出了见证警报'
        ru='%s поднял тревогу наблюдения' ;;
    f.pocs)
        en='CN does not know the 3 points of contact of RU and KZ after %s s'
        zh='CN 未能得知 RU 和 KZ 的 3 个联络点（已等待 %s 秒）'
        ru='CN не узнал о 3 контактных пунктах RU и KZ за %s с' ;;
    f.ping)
        en='%s has not received ping %s after %s s'
        zh='%s 未收到测试 %s（已等待 %s 秒）'
        ru='%s не получил проверку %s за %s с' ;;
    f.link)
        en='KZ shows no one-time link for %s'
        zh='KZ 没有为 %s 列出一次性链接'
        ru='KZ не показывает одноразовую ссылку для %s' ;;
    f.http)
        en='%s got HTTP %s instead of %s'
        zh='%s 得到 HTTP %s，而不是 %s'
        ru='%s: получен HTTP %s вместо %s' ;;
    f.answers)
        en='CN does not have both answers to ping %s after %s s'
        zh='CN 未收到测试 %s 的两个应答（已等待 %s 秒）'
        ru='CN не получил оба ответа на проверку %s за %s с' ;;
    f.results)
        en='CN'"'"'s results for ping %s are not as expected: %s'
        zh='CN 上测试 %s 的结果与预期不符：%s'
        ru='итоги проверки %s на CN не такие, как ожидалось: %s' ;;
    f.closed)
        en='ping %s is not closed at CN %s s after its deadline'
        zh='截止时间过后 CN 上的测试 %s 仍未截止（已等待 %s 秒）'
        ru='проверка %s на CN не закрылась через %s с после срока' ;;
    f.flag)
        en='CN'"'"'s directory does not flag exactly the silent contact %s'
        zh='CN 的名录没有恰好标出未应答的联络点 %s'
        ru='справочник CN отмечает не только и не именно молчащий контактный пункт %s' ;;
    f.refused)
        en='isx %s should have been refused and was not'
        zh='命令 isx %s 本应被拒绝，却没有被拒绝'
        ru='команда isx %s должна была получить отказ, но не получила' ;;
    f.consult)
        en='%s does not show consultation %s as %s after %s s'
        zh='%s 上的磋商 %s 未能变为“%s”（已等待 %s 秒）'
        ru='%s не показывает консультации %s в состоянии %s за %s с' ;;
    f.exit)
        en='a command stopped the demo with exit status %s'
        zh='某条命令以退出状态 %s 中止了演示'
        ru='команда прервала демонстрацию с кодом выхода %s' ;;
    *)
        en=$_k zh=$_k ru=$_k ;;
    esac
    eval "_f=\$$L"
    # shellcheck disable=SC2059,SC2154 # the format is the catalogue's text
    printf "$_f" "$@"
}

say() {
    printf '  %s\n' "$(msg "$@")"
}

ok() {
    printf '\n  %s\n' "$(msg ok "$(msg "$@")")"
}

STEP=0
step() {
    STEP=$1
    printf '\n━━ %s ━━\n' "$(msg "s$1")"
}

fail() {
    if [ "$STEP" = 0 ]; then
        printf '\n%s\n' "$(msg failed0 "$*")" >&2
    else
        printf '\n%s\n' "$(msg failed "$STEP" "$*")" >&2
    fi
    FAILED=1
    exit 1
}

# ---------------------------------------------------------------------------------------------
# Nodes and commands.

FAILED=0
DEMO=
for tool in curl sqlite3 python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        msg missing "$tool" >&2
        echo >&2
        exit 2
    }
done
if [ ! -x "$ISX" ] || [ ! -x "$ISXD" ]; then
    echo "demo: build/isx and build/isxd are missing: run make build (make demo does)" >&2
    exit 2
fi

cleanup() {
    _rc=$?
    set +e
    trap - EXIT INT TERM HUP
    trap '' PIPE
    if [ "$_rc" -ge 128 ]; then
        printf '\n%s\n' "$(msg interrupted)" >&2
    elif [ "$_rc" -ne 0 ] && [ "$FAILED" = 0 ] && [ "$STEP" -gt 0 ]; then
        printf '\n%s\n' "$(msg failed "$STEP" "$(msg f.exit "$_rc")")" >&2
    fi
    if [ "$_rc" -ne 0 ] && [ "$_rc" -lt 128 ] && [ -n "$DEMO" ]; then
        printf '\n%s\n' "$(msg logs)" >&2
        for _n in $NODES; do
            [ -f "$DEMO/$_n.log" ] || continue
            printf -- '--- %s\n' "$_n" >&2
            grep -v ' http ' "$DEMO/$_n.log" | tail -n 12 >&2 || true
        done
    fi
    for _n in $NODES; do
        eval "_pid=\${PID_$_n:-}"
        if [ -n "$_pid" ]; then kill -TERM "$_pid" 2>/dev/null; fi
    done
    for _n in $NODES; do
        eval "_pid=\${PID_$_n:-}"
        [ -n "$_pid" ] || continue
        _i=0
        while kill -0 "$_pid" 2>/dev/null && [ "$_i" -lt 50 ]; do
            sleep 0.2
            _i=$((_i + 1))
        done
        kill -KILL "$_pid" 2>/dev/null || true
        wait "$_pid" 2>/dev/null || true
    done
    if [ -n "$DEMO" ]; then
        if [ "${DEMO_KEEP:-0}" = 1 ]; then
            printf '%s\n' "$(msg kept "$DEMO")"
        else
            rm -rf "$DEMO"
        fi
    fi
    exit "$_rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

mkdir -p var/demo
DEMO=$(mktemp -d "$ROOT/var/demo/run.XXXXXX")

# start_node PARTY [PORT]: starts isxd for PARTY in the background and waits for the URL it
# prints. The parent empties the file first: the child's own redirection may come too late to
# hide the line of a previous run.
start_node() {
    _p=$1
    : >"$DEMO/$_p.out"
    "$ISXD" -d "$DEMO/$_p" ${2:+-p "$2"} >>"$DEMO/$_p.out" 2>>"$DEMO/$_p.log" &
    eval "PID_$_p=$!"
    eval "_pid=\$PID_$_p"
    _i=0
    _url=
    while [ -z "$_url" ]; do
        if ! kill -0 "$_pid" 2>/dev/null || [ "$_i" -ge $((TIMEOUT * 5 + 25)) ]; then
            fail "$(msg f.start "$_p")"
        fi
        sleep 0.2
        _i=$((_i + 1))
        _url=$(sed -n 's|^isxd listening on \(http://[^ ]*\)/$|\1|p' "$DEMO/$_p.out")
    done
    eval "URL_$_p=\$_url"
}

url() {
    eval "printf '%s' \"\$URL_$1\""
}

# run PARTY ARG...: runs isx against PARTY's node; standard output and error in $OUT, the exit
# status in $RC. qrun: the same with standard error left out (for JSON).
run() {
    _node=$1
    shift
    RC=0
    OUT=$(ISX_URL=$(url "$_node") ISX_TOKEN=$(cat "$DEMO/$_node/admin.token") "$ISX" \
        --lang "$L" "$@" 2>&1) || RC=$?
}
qrun() {
    _node=$1
    shift
    RC=0
    OUT=$(ISX_URL=$(url "$_node") ISX_TOKEN=$(cat "$DEMO/$_node/admin.token") "$ISX" \
        --lang "$L" "$@" 2>/dev/null) || RC=$?
}

# quote ARG...: the arguments as a shell would need them, node directories left out.
quote() {
    _q=
    for _a in "$@"; do
        _a=${_a#"$DEMO"/}
        case $_a in
        *[!A-Za-z0-9_./:@=,+-]*) _a="'$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'" ;;
        esac
        _q="$_q $_a"
    done
    printf '%s' "${_q# }"
}

indent() {
    sed 's/^/      /'
}

# show PARTY ARG...: prints the command, runs it and prints what it printed.
show() {
    _who=$1
    shift
    printf '\n  [%s] $ isx %s\n' "$_who" "$(quote "$@")"
    run "$_who" "$@"
    [ -z "$OUT" ] || printf '%s\n' "$OUT" | indent
}

# must PARTY ARG...: show, and fail unless the command succeeded.
must() {
    show "$@"
    [ "$RC" -eq 0 ] || {
        shift
        fail "$(msg f.cmd "$(quote "$@")")"
    }
}

# j EXPR: evaluates a Python expression over the JSON document on standard input (as d) and
# prints it; nothing and status 1 when the input is not JSON.
j() {
    python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
except ValueError:
    sys.exit(1)
r = eval(sys.argv[1])
print(json.dumps(r, ensure_ascii=False) if isinstance(r, (dict, list)) else r)
' "$1"
}

# http NAME METHOD URL [PARTY [DATA]]: prints the curl command (with PARTY's token, as
# $ISX_TOKEN, when PARTY is given), runs it and prints the status line and the JSON answer,
# with language maps cut to the demo's language and signatures left out; the status in $CODE,
# the answer in $DEMO/NAME.json.
http() {
    _name=$1 _method=$2 _url=$3 _auth=${4:-} _data=${5:-}
    _shown="curl -i -X $_method $_url"
    set -- -sS -o "$DEMO/$_name.json" -D "$DEMO/$_name.head" -w '%{http_code}' -X "$_method" \
        -H "Accept-Language: $L" "$_url"
    if [ -n "$_auth" ]; then
        set -- "$@" -H "Authorization: Bearer $(cat "$DEMO/$_auth/admin.token")"
        _shown="[$_auth] \$ $_shown -H \"Authorization: Bearer \$ISX_TOKEN\""
    else
        _shown="\$ $_shown"
    fi
    if [ -n "$_data" ]; then
        set -- "$@" -H 'Content-Type: application/json' -d "$_data"
        _shown="$_shown -H 'Content-Type: application/json' -d '$_data'"
    fi
    printf '\n  %s\n' "$_shown"
    CODE=$(curl "$@") || CODE=000
    {
        sed -n '1p' "$DEMO/$_name.head" | tr -d '\r'
        python3 -c '
import json, sys
raw = open(sys.argv[1], encoding="utf-8").read()
lang = sys.argv[2]
try:
    doc = json.loads(raw)
except ValueError:
    print(raw)
    sys.exit(0)
def cut(v):
    if isinstance(v, dict):
        if v and set(v) <= {"zh", "ru", "en"}:
            return v.get(lang, next(iter(v.values())))
        return {k: cut(x) for k, x in v.items() if k not in ("sig", "isx")}
    if isinstance(v, list):
        return [cut(x) for x in v]
    return v
print(json.dumps(cut(doc), ensure_ascii=False, indent=2))' "$DEMO/$_name.json" "$L"
    } | indent
}

# wait_until SECONDS COMMAND...: succeeds as soon as COMMAND does, fails after SECONDS.
wait_until() {
    _secs=$1
    shift
    _end=$(($(date +%s) + _secs))
    while :; do
        if "$@"; then
            return 0
        fi
        [ "$(date +%s)" -lt "$_end" ] || return 1
        sleep 0.3
    done
}

# Rows of `id` in PARTY's object table (every version it stored, sealed or not).
stored() {
    sqlite3 -readonly "$DEMO/$1/isx.db" "SELECT count(*) FROM objects WHERE id = '$2'"
}

# PARTY has exchanged with all its peers: each contacted, no error, nothing left to offer.
settled() {
    qrun "$1" --json peer list
    [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | j 'all(p["last_contact"] and not p["last_error"] and p["backlog"] == 0 for p in d["items"])')" = True ]
}
all_settled() {
    for _s in $NODES; do
        settled "$_s" || return 1
    done
}

# PARTY can read report ID: its title in English is TITLE.
reads() {
    qrun "$1" --json report show "$2"
    [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | j 'd["object"]["body"]["title"]["en"]')" = "$3" ]
}

# Writes a report to FILE: FILE TLP TO(json list or empty) THREAT TITLE-EN TITLE-ZH TITLE-RU IND
report_file() {
    python3 -c '
import json, sys
f, tlp, to, threat, en, zh, ru, ind = sys.argv[1:]
marking = {"tlp": tlp}
if to:
    marking["to"] = json.loads(to)
doc = {"marking": marking, "threat": threat, "title": {"en": en, "zh": zh, "ru": ru},
       "indicators": [{"value": ind}]}
with open(f, "w", encoding="utf-8") as out:
    out.write("{" + ",\n ".join(json.dumps(k) + ": " + json.dumps(v, ensure_ascii=False)
                                for k, v in doc.items()) + "}\n")
' "$@"
}

# submit PARTY FILE: submits a report, prints what isx says, leaves the new id in $ID.
submit() {
    printf '\n  [%s] $ isx report submit %s\n' "$1" "$(basename "$2")"
    indent <"$2"
    qrun "$1" --json report submit "$2"
    [ "$RC" -eq 0 ] || fail "$(msg f.cmd "report submit $(basename "$2")")"
    ID=$(printf '%s' "$OUT" | j 'd["id"]')
    printf '      → %s\n' "$ID"
}

# ---------------------------------------------------------------------------------------------

printf '%s\n' "$(msg title)"
printf '%s\n' "$(msg workdir "${DEMO#"$ROOT"/}")"
printf '%s\n\n' "$(msg howto "$L")"
say starting
for n in $NODES; do
    "$ISX" --lang "$L" init --dir "$DEMO/$n" --party "$n" >/dev/null
    sed -i -e 's/^port = .*/port = 0/' -e 's/^sync_interval = .*/sync_interval = 1/' \
        -e 's/^witness_interval = .*/witness_interval = 2/' "$DEMO/$n/isx.conf"
done
sed -i 's/^relay = .*/relay = yes/' "$DEMO/SCO/isx.conf"
for n in $NODES; do
    start_node "$n"
    eval "_pid=\$PID_$n"
    printf '    %s\n' "$(msg started "$n" "$(url "$n")" "$_pid")"
done

# --- 1 ---------------------------------------------------------------------------------------
step 1
say s1.intro
say s1.confirm
printf '\n'
say s1.first
must SCO peer add CN "$(url CN)" --fetch
must SCO peer add RU "$(url RU)" --fetch
must SCO peer add KZ "$(url KZ)" --fetch
printf '\n'
say s1.then
must CN peer add RU "$(url RU)" --fetch
must CN peer add SCO "$(url SCO)" --fetch --relay
must RU peer add CN "$(url CN)" --fetch
must RU peer add KZ "$(url KZ)" --fetch
must RU peer add SCO "$(url SCO)" --fetch
must KZ peer add RU "$(url RU)" --fetch
must KZ peer add SCO "$(url SCO)" --fetch

printf '\n'
say s1.wait
qrun CN --json node
CN_KEY=$(printf '%s' "$OUT" | j 'd["key"]["key"]')
qrun KZ --json party show CN
CN_ENTRY=$(printf '%s' "$OUT" | j 'd["id"]')

# KZ holds a version of CN's entry signed by SCO with CN's key, and CN's own is the current one.
dep_version() {
    qrun KZ --json object versions "$CN_ENTRY"
    [ "$RC" -eq 0 ] || return 1
    for _v in $(printf '%s' "$OUT" | j '" ".join(v["version"] for v in d["versions"])'); do
        qrun KZ --json party show CN --version "$_v"
        if [ "$(printf '%s' "$OUT" | j "d['origin'] == 'SCO' and any(k['key'] == '$CN_KEY' for k in d['body'].get('keys', []))")" = True ]; then
            DEP_VERSION=$_v
            return 0
        fi
    done
    return 1
}
keys_known() {
    dep_version || return 1
    qrun KZ --json party show CN
    [ "$(printf '%s' "$OUT" | j "d['origin'] == 'CN' and any(k['key'] == '$CN_KEY' for k in d['body'].get('keys', []))")" = True ]
}
wait_until "$TIMEOUT" all_settled || fail "$(msg f.settle "$TIMEOUT")"
wait_until "$TIMEOUT" keys_known || fail "$(msg f.dep "$TIMEOUT")"
wait_until "$TIMEOUT" all_settled || fail "$(msg f.settle "$TIMEOUT")"

say s1.lists
for n in $NODES; do
    must "$n" peer list
done
printf '\n'
say s1.refused
printf '\n'
say s1.dep
printf '\n  [KZ] $ isx --json party show CN --version %s\n' "$DEP_VERSION"
qrun KZ --json party show CN --version "$DEP_VERSION"
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
view = {"id": d["id"], "type": d["type"], "origin": d["origin"], "version": d["version"],
        "body": {k: d["body"][k] for k in ("code", "keys", "box_key") if k in d["body"]},
        "sig": d["sig"]}
print(json.dumps(view, ensure_ascii=False, indent=2))' | indent
printf '\n'
say s1.own
must KZ object versions "$CN_ENTRY"
ok s1.ok

# --- 2 ---------------------------------------------------------------------------------------
step 2
say s2.submit
report_file "$DEMO/amber-ru.json" amber '["RU"]' T3 \
    "Phishing campaign against banks (demo)" "针对银行的网络钓鱼活动（演示）" \
    "Фишинговая кампания против банков (демо)" "login-bank.example"
submit CN "$DEMO/amber-ru.json"
R1=$ID
wait_until "$TIMEOUT" reads RU "$R1" "Phishing campaign against banks (demo)" ||
    fail "$(msg f.notread RU "$R1" "$TIMEOUT")"
printf '\n'
say s2.ru
must RU report show "$R1"
printf '\n'
say s2.rounds
wait_until "$TIMEOUT" all_settled || fail "$(msg f.settle "$TIMEOUT")"
sleep 3
wait_until "$TIMEOUT" all_settled || fail "$(msg f.settle "$TIMEOUT")"
say s2.kz
show KZ object show "$R1"
[ "$RC" -ne 0 ] || fail "$(msg f.leak KZ "$R1")"
[ "$(stored KZ "$R1")" = 0 ] || fail "$(msg f.leak KZ "$R1")"
printf '\n'
say s2.sco
printf '\n  [SCO] $ sqlite3 isx.db "SELECT count(*) FROM objects WHERE id = '"'"'%s'"'"'"\n' "$R1"
n_sco=$(stored SCO "$R1")
printf '      %s\n' "$n_sco"
[ "$n_sco" = 0 ] || fail "$(msg f.leak SCO "$R1")"
ok s2.ok

# --- 3 ---------------------------------------------------------------------------------------
step 3
say s3.submit
report_file "$DEMO/amber-kz.json" amber '["KZ"]' T3 \
    "Ransomware staging servers (demo)" "勒索软件中转服务器（演示）" \
    "Серверы подготовки атак программ-вымогателей (демо)" "stage-files.example"
submit CN "$DEMO/amber-kz.json"
R2=$ID
wait_until "$TIMEOUT" reads KZ "$R2" "Ransomware staging servers (demo)" ||
    fail "$(msg f.notread KZ "$R2" "$TIMEOUT")"
printf '\n'
say s3.kz
must KZ report show "$R2"
must KZ object versions "$R2"
case $OUT in
*peer:SCO*) ;;
*) fail "$(msg f.cmd "object versions $R2 (peer:SCO)")" ;;
esac
printf '\n'
say s3.sco
show SCO object show "$R2"
[ "$RC" -ne 0 ] || fail "$(msg f.shown "$R2")"
printf '\n'
say s3.db
printf '\n  [SCO] $ sqlite3 isx.db "SELECT canonical FROM objects WHERE id = '"'"'%s'"'"'"\n' "$R2"
sqlite3 -readonly "$DEMO/SCO/isx.db" "SELECT canonical FROM objects WHERE id = '$R2'" \
    >"$DEMO/relayed.json"
# Shows the envelope with the long base64 strings cut, and checks it: sealed, no body, no key
# for SCO, and none of the title's words in the stored bytes.
if ! python3 - "$DEMO/relayed.json" >"$DEMO/relayed.txt" 2>"$DEMO/relayed.err" <<'EOF'
import json, sys
raw = open(sys.argv[1], encoding="utf-8").read()
env = json.loads(raw)
def cut(v):
    if isinstance(v, str) and len(v) > 40:
        return v[:24] + "…(%d chars)" % len(v)
    if isinstance(v, dict):
        return {k: cut(x) for k, x in v.items()}
    if isinstance(v, list):
        return [cut(x) for x in v]
    return v
print(json.dumps(cut(env), ensure_ascii=False, indent=2))
problems = []
if "body" in env:
    problems.append("a body is stored")
if "sealed" not in env:
    problems.append("not sealed")
parties = sorted(k.get("party") for k in env.get("sealed", {}).get("keys", []))
if parties != ["CN", "KZ"]:
    problems.append("content key wrapped for %s" % parties)
if "Ransomware" in raw or "stage-files" in raw:
    problems.append("clear text in the stored bytes")
if problems:
    sys.stderr.write("; ".join(problems))
    sys.exit(1)
EOF
then
    indent <"$DEMO/relayed.txt"
    fail "$(msg f.envelope "$R2" "$(cat "$DEMO/relayed.err")")"
fi
indent <"$DEMO/relayed.txt"
[ "$(stored RU "$R2")" = 0 ] || fail "$(msg f.leak RU "$R2")"
ok s3.ok

# --- 4 ---------------------------------------------------------------------------------------
step 4
say s4.ask
printf '\n'
say s4.grant
must CN release grant "$R1" --to KZ --note "$(msg s4.note)"
wait_until "$TIMEOUT" reads KZ "$R1" "Phishing campaign against banks (demo)" ||
    fail "$(msg f.notread KZ "$R1" "$TIMEOUT")"
printf '\n'
say s4.kz
must KZ report show "$R1"
must KZ object versions "$R1"
case $OUT in
*peer:RU*) ;;
*) fail "$(msg f.cmd "object versions $R1 (peer:RU)")" ;;
esac
[ "$(stored SCO "$R1")" = 0 ] || fail "$(msg f.leak SCO "$R1")"
ok s4.ok

# --- 5 ---------------------------------------------------------------------------------------
step 5
wait_until "$TIMEOUT" all_settled || fail "$(msg f.settle "$TIMEOUT")"
KZ_PORT=$(url KZ)
KZ_PORT=${KZ_PORT##*:}
say s5.kill "$PID_KZ"
printf '\n  $ kill -9 %s\n' "$PID_KZ"
kill -KILL "$PID_KZ"
_i=0
while kill -0 "$PID_KZ" 2>/dev/null; do
    [ "$_i" -lt 50 ] || fail "$(msg f.dead)"
    sleep 0.1
    _i=$((_i + 1))
done
wait "$PID_KZ" 2>/dev/null || true
PID_KZ=
printf '\n'
say s5.submit
report_file "$DEMO/green-1.json" green "" T3 \
    "Scanning from a botnet, wave 1 (demo)" "僵尸网络扫描，第一波（演示）" \
    "Сканирование с ботнета, волна 1 (демо)" "203.0.113.51"
submit CN "$DEMO/green-1.json"
G1=$ID
report_file "$DEMO/green-2.json" green "" T3 \
    "Scanning from a botnet, wave 2 (demo)" "僵尸网络扫描，第二波（演示）" \
    "Сканирование с ботнета, волна 2 (демо)" "203.0.113.52"
submit CN "$DEMO/green-2.json"
G2=$ID
kz_down() {
    qrun RU --json peer list
    [ "$(printf '%s' "$OUT" | j '[p for p in d["items"] if p["party"] == "KZ"][0]["last_error"] is not None')" = True ]
}
wait_until "$TIMEOUT" kz_down || fail "$(msg f.backlog "$TIMEOUT")"
printf '\n'
say s5.down
must RU peer list
printf '\n'
say s5.restart
printf '\n  $ isxd -d KZ -p %s\n' "$KZ_PORT"
start_node KZ "$KZ_PORT"
printf '      %s\n' "$(msg started KZ "$(url KZ)" "$PID_KZ")"
wait_until "$TIMEOUT" reads KZ "$G1" "Scanning from a botnet, wave 1 (demo)" ||
    fail "$(msg f.notread KZ "$G1" "$TIMEOUT")"
wait_until "$TIMEOUT" reads KZ "$G2" "Scanning from a botnet, wave 2 (demo)" ||
    fail "$(msg f.notread KZ "$G2" "$TIMEOUT")"
# Let every node offer KZ what it has, twice over, before counting.
wait_until "$TIMEOUT" all_settled || fail "$(msg f.settle "$TIMEOUT")"
sleep 2
wait_until "$TIMEOUT" all_settled || fail "$(msg f.settle "$TIMEOUT")"
printf '\n'
say s5.got
for g in "$G1" "$G2"; do
    must KZ object versions "$g"
    qrun KZ --json object versions "$g"
    nv=$(printf '%s' "$OUT" | j 'len(d["versions"])')
    nrow=$(stored KZ "$g")
    [ "$nv" = 1 ] || fail "$(msg f.once "$g" "$nv")"
    [ "$nrow" = 1 ] || fail "$(msg f.once "$g" "$nrow")"
done
ok s5.ok

# --- 6 ---------------------------------------------------------------------------------------
step 6
say s6.take
printf '\n  [RU] $ isx --json object show %s > report.json\n' "$G1"
qrun RU --json object show "$G1"
[ "$RC" -eq 0 ] || fail "$(msg f.cmd "object show $G1")"
printf '%s' "$OUT" >"$DEMO/report.json"
FAKE=$(msg s6.fake)
printf '  $ python3 … title.%s = "%s" > altered.json\n' "$L" "$FAKE"
python3 - "$DEMO/report.json" "$DEMO/altered.json" "$L" "$FAKE" <<'EOF'
import json, sys
src, dst, lang, fake = sys.argv[1:]
env = json.load(open(src, encoding="utf-8"))
print("      title.%s: %s  →  %s" % (lang, env["body"]["title"][lang], fake))
env["body"]["title"][lang] = fake
json.dump(env, open(dst, "w", encoding="utf-8"), ensure_ascii=False)
EOF
printf '\n'
say s6.import
show KZ object import "$DEMO/altered.json"
[ "$RC" -ne 0 ] || fail "$(msg f.tamper "$RC")"
case $OUT in
*'sig[0]'*) ;;
*) fail "$(msg f.tamper "$RC")" ;;
esac
reads KZ "$G1" "Scanning from a botnet, wave 1 (demo)" || fail "$(msg f.changed "$G1")"
qrun KZ --json object versions "$G1"
[ "$(printf '%s' "$OUT" | j 'len(d["versions"])')" = 1 ] || fail "$(msg f.changed "$G1")"
qrun KZ --json report show "$G1"
printf '\n'
say s6.kept "$(printf '%s' "$OUT" | j "d['object']['body']['title']['$L']")"

metric() {
    curl -fsS "$(url KZ)/metrics" | sed -n 's/^isx_fed_requests_refused_total{reason="unsigned"} //p'
}
before=$(metric)
printf '\n'
say s6.curl
printf '\n  $ curl -i -X POST %s/fed/v1/objects -H '"'"'Content-Type: application/json'"'"' -d '"'"'{"objects":[]}'"'"'\n' "$(url KZ)"
code=$(curl -sS -o "$DEMO/unsigned.json" -D "$DEMO/unsigned.head" -w '%{http_code}' \
    -X POST "$(url KZ)/fed/v1/objects" -H 'Content-Type: application/json' \
    -H "Accept-Language: $L" -d '{"objects":[]}')
{
    sed -n '1p; /^[Cc]ontent-[Tt]ype:/p' "$DEMO/unsigned.head" | tr -d '\r'
    printf '\n'
    python3 -m json.tool --no-ensure-ascii <"$DEMO/unsigned.json" 2>/dev/null || cat "$DEMO/unsigned.json"
} | indent
[ "$code" = 401 ] || fail "$(msg f.unsigned "$code")"
grep -qi '^content-type: application/problem+json' "$DEMO/unsigned.head" ||
    fail "$(msg f.unsigned "$code")"
[ "$(j 'd["status"] == 401 and d["type"] == "urn:isx:problem:auth"' <"$DEMO/unsigned.json")" = True ] ||
    fail "$(msg f.unsigned "$code")"
after=$(metric)
printf '\n'
say s6.metric
printf '\n  $ curl -s %s/metrics | grep refused_total\n' "$(url KZ)"
curl -fsS "$(url KZ)/metrics" | grep '^isx_fed_requests_refused_total' | indent
[ "$after" = $((before + 1)) ] || fail "$(msg f.metric "$before" "$after")"
ok s6.ok

# --- 7 ---------------------------------------------------------------------------------------
step 7
# Every node has witnessed each of its peers at least once.
witnessed() {
    qrun "$1" --json peer list
    [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | j 'all(p["witnessed_size"] > 0 for p in d["items"])')" = True ]
}
for n in $NODES; do
    wait_until "$TIMEOUT" witnessed "$n" || fail "$(msg f.witness "$n" "$TIMEOUT")"
done
say s7.peers
must CN peer list
printf '\n'
say s7.witness
qrun CN --json peer list
printf '%s' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
cols = sys.argv[1].split("|")
rows = [cols] + [[p["party"], sys.argv[2] if p["relay"] else sys.argv[3], str(p["witnessed_size"]),
                  p["last_contact"] or "-"] for p in d["items"]]
def width(s):
    return sum(2 if ord(c) >= 0x1100 else 1 for c in s)
w = [max(width(r[i]) for r in rows) for i in range(len(cols))]
for r in rows:
    print("  ".join(c + " " * (w[i] - width(c)) for i, c in enumerate(r)).rstrip())
' "$(msg s7.cols)" "$(msg s7.yes)" "$(msg s7.no)" | indent
printf '\n'
say s7.alarms
must CN peer alarms
for n in $NODES; do
    qrun "$n" --json peer alarms
    if [ "$RC" -ne 0 ] || [ "$(printf '%s' "$OUT" | j 'len(d["items"])')" != 0 ]; then
        fail "$(msg f.alarm "$n")"
    fi
    ! grep -q 'ALARM' "$DEMO/$n.log" || fail "$(msg f.alarm "$n")"
done
ok s7.ok

# --- 8 ---------------------------------------------------------------------------------------
step 8
say s8.intro
printf '\n'
say s8.pocs
IVAN=$(msg poc.ivan)
ANNA=$(msg poc.anna)
AIGUL=$(msg poc.aigul)
must RU poc add --kind technical --person "$L:$IVAN" --organisation "$L:$(msg poc.ivan.org)" \
    --email duty@cert.ru.example --language ru,en --tz Europe/Moscow --always
must RU poc add --kind diplomatic --person "$L:$ANNA" --organisation "$L:$(msg poc.anna.org)" \
    --email poc@mfa.ru.example --language ru,en
must KZ poc add --kind diplomatic --person "$L:$AIGUL" --organisation "$L:$(msg poc.aigul.org)" \
    --email poc@mfa.kz.example --language kk,ru
# poc_id PARTY KIND: the id of PARTY's contact of KIND, as PARTY's node lists it.
poc_id() {
    qrun "$1" --json poc list --party "$1" --kind "$2"
    printf '%s' "$OUT" | j 'd["items"][0]["id"] if len(d["items"]) == 1 else ""' || :
}
P_IVAN=$(poc_id RU technical)
P_ANNA=$(poc_id RU diplomatic)
P_AIGUL=$(poc_id KZ diplomatic)
for _p in "$P_IVAN" "$P_ANNA" "$P_AIGUL"; do
    [ -n "$_p" ] || fail "$(msg f.cmd "--json poc list --party … --kind …")"
done
pocs_at_cn() {
    qrun CN --json poc list
    [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | j "sorted(p['id'] for p in d['items']) == sorted(['$P_IVAN', '$P_ANNA', '$P_AIGUL'])")" = True ]
}
wait_until "$TIMEOUT" pocs_at_cn || fail "$(msg f.pocs "$TIMEOUT")"
printf '\n'
say s8.cn
must CN poc list

# The deadline: a whole second, PING_WINDOW seconds from now, as a UTC time.
PING_WINDOW=40
DEADLINE_AT=$(($(date +%s) + PING_WINDOW))
DEADLINE=$(python3 -c 'import datetime, sys
print(datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$DEADLINE_AT")
printf '\n'
say s8.start "$PING_WINDOW"
must CN ping start --party RU --party KZ --deadline "$DEADLINE"
qrun CN --json ping status
PING=$(printf '%s' "$OUT" | j 'd["items"][0]["id"]')
has_ping() {
    qrun "$1" --json ping status "$PING"
    [ "$RC" -eq 0 ]
}
wait_until "$TIMEOUT" has_ping RU || fail "$(msg f.ping RU "$PING" "$TIMEOUT")"
wait_until "$TIMEOUT" has_ping KZ || fail "$(msg f.ping KZ "$PING" "$TIMEOUT")"
# People take a moment to answer, which gives the figures below times to show.
sleep 2
printf '\n'
say s8.ru "$IVAN"
must RU ping ack "$PING" --poc "$P_IVAN"
printf '\n'
say s8.kz
must KZ ping status "$PING"
qrun KZ --json ping status "$PING"
LINK=$(printf '%s' "$OUT" | j "next((l['path'] for l in d['links'] if l['poc'] == '$P_AIGUL'), '')")
[ -n "$LINK" ] || fail "$(msg f.link "$P_AIGUL")"
printf '\n'
say s8.open "$AIGUL"
http link GET "$(url KZ)$LINK"
[ "$CODE" = 200 ] || fail "$(msg f.http "GET $LINK" "$CODE" 200)"
[ "$(j "d['poc'] == '$P_AIGUL' and d['state'] == 'open' and d['answered'] is False" <"$DEMO/link.json")" = True ] ||
    fail "$(msg f.http "GET $LINK" "$CODE" 200)"
sleep 2
printf '\n'
say s8.click
http link-ack POST "$(url KZ)$LINK"
[ "$CODE" = 201 ] || fail "$(msg f.http "POST $LINK" "$CODE" 201)"
printf '\n'
say s8.twice
http link-again POST "$(url KZ)$LINK"
[ "$CODE" = 409 ] || fail "$(msg f.http "POST $LINK" "$CODE" 409)"
[ "$(j 'd["status"] == 409' <"$DEMO/link-again.json")" = True ] ||
    fail "$(msg f.http "POST $LINK" "$CODE" 409)"

answers_at_cn() {
    qrun CN --json ping status "$PING"
    [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | j 'd["results"]["answered"]')" = 2 ]
}
wait_until "$TIMEOUT" answers_at_cn || fail "$(msg f.answers "$PING" "$TIMEOUT")"
printf '\n'
say s8.results
must CN ping status "$PING"
qrun CN --json ping status "$PING"
why=$(printf '%s' "$OUT" | python3 -c '
import json, sys
ivan, anna, aigul = sys.argv[1:]
r = json.load(sys.stdin)["results"]
bad = []
def tally(name, t, total, answered):
    if (t or {}).get("total") != total or t.get("answered") != answered:
        bad.append("%s %s/%s, not %s/%s" % (name, (t or {}).get("answered"), (t or {}).get("total"), answered, total))
tally("all", r, 3, 2)
tally("diplomatic", r["by_kind"].get("diplomatic"), 2, 1)
tally("technical", r["by_kind"].get("technical"), 1, 1)
tally("RU", r["by_party"].get("RU"), 2, 1)
tally("KZ", r["by_party"].get("KZ"), 1, 1)
if not isinstance(r.get("median_ms"), int):
    bad.append("no median")
how = {c["poc"]: c.get("how") if c.get("answered") else None for c in r["contacts"]}
if how != {ivan: "cli", aigul: "link", anna: None}:
    bad.append("answers %s" % how)
print("; ".join(bad))' "$P_IVAN" "$P_ANNA" "$P_AIGUL")
[ -z "$why" ] || fail "$(msg f.results "$PING" "$why")"

left=$((DEADLINE_AT - $(date +%s)))
[ "$left" -gt 0 ] || left=0
printf '\n'
say s8.wait "$ANNA" "$left"
sleep $((left + 1))
ping_closed() {
    qrun CN --json ping status "$PING"
    [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | j 'd["results"]["state"]')" = closed ]
}
wait_until "$TIMEOUT" ping_closed || fail "$(msg f.closed "$PING" "$TIMEOUT")"
printf '\n'
say s8.late "$ANNA"
show RU ping ack "$PING" --poc "$P_ANNA"
[ "$RC" -ne 0 ] || fail "$(msg f.refused "ping ack $PING --poc $P_ANNA")"
case $OUT in
*"${DEADLINE%Z}.000Z"*) ;;
*) fail "$(msg f.refused "ping ack $PING --poc $P_ANNA")" ;;
esac
printf '\n'
say s8.flag
must CN poc list
qrun CN --json poc list
[ "$(printf '%s' "$OUT" | j "all((p.get('last_ping') or {}).get('answered') is (p['id'] != '$P_ANNA') for p in d['items'])")" = True ] ||
    fail "$(msg f.flag "$P_ANNA")"
ok s8.ok

# --- 9 ---------------------------------------------------------------------------------------
step 9
say s9.intro
printf '\n'
say s9.propose
# Four and six weeks from today (UTC), two days each: the first day may not be in the past.
read -r C_FROM C_UNTIL C_FROM2 C_UNTIL2 <<EOF
$(python3 -c 'import datetime as t
d = t.datetime.now(t.timezone.utc).date()
print(*(d + t.timedelta(days=n) for n in (28, 29, 42, 43)))')
EOF
must CN consult propose --kind extraordinary --date "$C_FROM" --until "$C_UNTIL" --venue CN \
    --name "$L:$(msg s9.place)" --agenda "$L:$(msg s9.item1 "$R1")" --agenda "$L:$(msg s9.item2)" \
    --to RU,KZ,SCO
qrun CN --json consult list
CID=$(printf '%s' "$OUT" | j "next((c['id'] for c in d['items'] if c['proposer'] == 'CN' and c['kind'] == 'extraordinary'), '')")
[ -n "$CID" ] || fail "$(msg f.cmd "consult list")"
# consult_is PARTY STATE ROUND: PARTY shows the consultation in STATE at ROUND.
consult_is() {
    qrun "$1" --json consult show "$CID"
    [ "$RC" -eq 0 ] && [ "$(printf '%s' "$OUT" | j "d['state'] == '$2' and d['round'] == $3")" = True ]
}
for n in RU KZ SCO; do
    wait_until "$TIMEOUT" consult_is "$n" proposed 1 ||
        fail "$(msg f.consult "$n" "$CID" proposed "$TIMEOUT")"
done
qrun CN --json consult show "$CID"
[ "$(printf '%s' "$OUT" | j "d['agenda'][0].get('refs') == ['$R1']")" = True ] ||
    fail "$(msg f.cmd "consult show $CID (refs)")"
printf '\n'
say s9.consent
must RU consult consent "$CID" --note "$L:$(msg s9.note1)"
printf '\n'
say s9.object
must KZ consult object "$CID" "$L:$(msg s9.reason)"
wait_until "$TIMEOUT" consult_is CN objected 1 || fail "$(msg f.consult CN "$CID" objected "$TIMEOUT")"
printf '\n'
say s9.objected
must CN consult show "$CID"
printf '\n'
say s9.revise
must CN consult revise "$CID" --date "$C_FROM2" --until "$C_UNTIL2"
for n in RU KZ SCO; do
    wait_until "$TIMEOUT" consult_is "$n" proposed 2 ||
        fail "$(msg f.consult "$n" "$CID" proposed "$TIMEOUT")"
done
printf '\n'
say s9.again
must RU consult consent "$CID"
printf '\n'
say s9.twice
show RU consult consent "$CID"
[ "$RC" -ne 0 ] || fail "$(msg f.refused "consult consent $CID")"
printf '\n'
say s9.sco
http sco-consent POST "$(url SCO)/api/v1/consultations/$CID/consents" SCO '{"decision":"consent"}'
[ "$CODE" = 403 ] || fail "$(msg f.http "SCO: POST /api/v1/consultations/$CID/consents" "$CODE" 403)"
printf '\n'
say s9.kz
must KZ consult consent "$CID" --note "$L:$(msg s9.note2)"
wait_until "$TIMEOUT" consult_is CN decided 2 || fail "$(msg f.consult CN "$CID" decided "$TIMEOUT")"
qrun CN --json consult show "$CID"
[ "$(printf '%s' "$OUT" | j 'sorted(d["consented"]) == ["KZ", "RU"] and d["missing"] == []')" = True ] ||
    fail "$(msg f.consult CN "$CID" decided "$TIMEOUT")"
printf '\n'
say s9.decided
must CN consult show "$CID"
printf '\n'
say s9.minutes
must CN consult minutes "$CID" "$L:$(msg s9.text)"
wait_until "$TIMEOUT" consult_is RU held 2 || fail "$(msg f.consult RU "$CID" held "$TIMEOUT")"
must RU consult show "$CID"
qrun RU --json consult show "$CID"
[ "$(printf '%s' "$OUT" | j "len(d['minutes']['consents']) == 2")" = True ] ||
    fail "$(msg f.consult RU "$CID" held "$TIMEOUT")"
ok s9.ok

printf '\n%s\n' "$(msg end)"
